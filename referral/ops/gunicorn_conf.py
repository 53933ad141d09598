"""gunicorn settings that suit this application (installed with the wheel).

Sync workers: each request is one short database transaction, and the audit chain's head
is serialised in the database anyway; more workers, not threads, scale it.  Workers are
recycled after a bounded number of requests (with jitter, so they do not all restart at
once) to keep memory flat; a request that takes longer than the timeout is a bug or a
stuck database and is cut off rather than left to pile up.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The heartbeat file on tmpfs: a worker blocked on a slow disk is not killed for it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log to stdout as one JSON object per line, like the application's own log: the
# path without its query string (a query may carry a search term), never a body.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = ('{"time": "%(t)s", "level": "INFO", "logger": "gunicorn.access", '
                     '"method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
                     '"bytes": "%(B)s", "duration_ms": %(M)s, '
                     '"request_id": "%({x-request-id}o)s"}')
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


def child_exit(server: object, worker: object) -> None:
    # Imported here: the master process loads this file before the application.
    from referral.ops.metrics import child_exit as forget_worker  # noqa: PLC0415

    forget_worker(server, worker)
