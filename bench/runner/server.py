"""What a scale is measured against: gunicorn with sync workers on 127.0.0.1
(:class:`Server`) and the database it serves, a SQLite file in ``bench/out/`` or a
PostgreSQL database on the shared server, created and dropped for the run
(:class:`Database`), with its backends' pids and its size.
"""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from bench.runner.procs import children, free_port, rss_mb
from bench.runner.settings import OUT, ROOT, VENV_BIN, Log, Scale, Settings


class Server:
    """gunicorn on 127.0.0.1, sync workers."""

    def __init__(self, log: Log, env: dict[str, str], workers: int, label: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.errlog = (OUT / f"gunicorn-{label}.log").open("w")
        cmd = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning",
               "bench.wsgi:app"]
        log(f"gunicorn {label}: {workers} sync workers on {self.url}")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.errlog,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see "
                                   f"{self.errlog.name}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:  # noqa: S310
                    if r.status == 200 and len(self.workers()) >= workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become ready in 60 s")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def worker_rss(self) -> list[float]:
        return [r for r in (rss_mb(p) for p in self.workers()) if r is not None]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errlog.close()


class Database:
    def __init__(self, kind: str, scale: Scale, settings: Settings) -> None:
        self.kind = kind
        self.label = f"{kind}-{scale.name}"
        if kind == "sqlite":
            self.path = OUT / f"bench-{scale.name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"bench_pg_{scale.name}"
            self.admin = settings.pg_admin_url.rstrip("/") + "/postgres"
            self.url = settings.pg_admin_url.rstrip("/") + f"/{self.name}"

    def _pg(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create(self) -> None:
        if self.kind == "sqlite":
            self.drop()
        else:
            self._pg(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            self._pg(f"CREATE DATABASE {self.name}")

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
        else:
            self._pg(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def backend_pids(self) -> list[int]:
        """PostgreSQL backends connected to this database (none for SQLite)."""
        if self.kind == "sqlite":
            return []
        import psycopg

        with psycopg.connect(self.admin, connect_timeout=5) as conn:
            return [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,))]

    def size_mb(self) -> float | None:
        if self.kind == "sqlite":
            return round(sum(Path(str(self.path) + s).stat().st_size
                             for s in ("", "-wal") if Path(str(self.path) + s).exists())
                         / 2**20, 1)
        import psycopg

        with psycopg.connect(self.admin, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_database_size(%s)", (self.name,)).fetchone()
        return round(row[0] / 2**20, 1) if row else None
