"""The application as the benchmark and the drills serve it (``gunicorn bench.wsgi:app``,
``flask --app bench.wsgi ...``, from the project root); not in the installed package."""

from bench.app import create_bench_app

app = create_bench_app()
