# The application image: the wheel on a slim Python, as a non-root user, no compilers.
#   docker build -t livc-referral .        (or: podman build --isolation=chroot ...)
# BASE defaults to the official slim image; where no registry is reachable, a local base
# with python3 and python3-venv (see docs/OPERATIONS.md, "Images without a registry").
ARG BASE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE} AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY referral ./referral
COPY workflows ./workflows
COPY policies ./policies
COPY migrations ./migrations
RUN python3 -m venv /opt/build && /opt/build/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/build/bin/pip wheel --no-cache-dir --no-deps -w /wheels .

FROM ${BASE}
# Only the virtual environment with the wheel and its (binary) dependencies: no build tools.
COPY --from=build /wheels /wheels
RUN python3 -m venv /opt/livc-referral \
    && /opt/livc-referral/bin/pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --home-dir /var/lib/livc-referral --create-home \
       --shell /usr/sbin/nologin livc
ENV PATH=/opt/livc-referral/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    REFERRAL_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
USER livc
WORKDIR /var/lib/livc-referral
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
# Migrate, then serve; the jobs container runs `flask --app referral jobs run` instead.
CMD ["sh", "-c", "mkdir -p $PROMETHEUS_MULTIPROC_DIR && flask --app referral db upgrade && exec gunicorn -c python:referral.ops.gunicorn_conf 'referral:create_app()'"]
