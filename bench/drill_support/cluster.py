"""A private, throwaway PostgreSQL cluster for the drills: ``initdb`` into a temporary
directory and ``pg_ctl`` on a free port (55432 by preference), run as the ``postgres``
user when we are root, removed at the end.  The drills stop and start it at will; the
machine's shared PostgreSQL is never touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.drill_support.common import DrillError
from bench.runner.procs import free_port


def pg_bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl`` (``DRILL_PG_BIN`` or the newest installed)."""
    candidates = [os.environ.get("DRILL_PG_BIN", "")]
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")),
                         key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit()
                         else 0, reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def private_cluster_unavailable() -> str | None:
    """Why a private cluster cannot be made here (None: it can)."""
    if pg_bindir() is None:
        return "initdb/pg_ctl not found (set DRILL_PG_BIN to PostgreSQL's bin directory)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


class PgCluster:
    """A throwaway cluster: ``initdb`` into a temporary directory, trust authentication,
    listening on 127.0.0.1:<port> and a socket in that directory only.  Run as the
    ``postgres`` user when we are root (initdb refuses root)."""

    def __init__(self, port: int | None = None) -> None:
        why = private_cluster_unavailable()
        if why:
            raise DrillError(why)
        bindir = pg_bindir()
        assert bindir is not None
        self.bin = bindir
        self.as_postgres = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="livc-drill-pg-"))
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = self.dir / "data"
        self.port = port or _preferred_port(55432)
        self.running = False

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_postgres else cmd

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self._cmd(*args), cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            raise DrillError(f"{args[0]} {args[1] if len(args) > 1 else ''} failed "
                             f"({proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
        return proc

    def init(self) -> PgCluster:
        # --no-sync: only initdb's own files; the server itself runs with fsync on, so a
        # commit is on disk when it is acknowledged (what "no acknowledged write lost" needs).
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-sync", "--no-instructions")
        with (self.data / "postgresql.conf").open("a") as fh:
            fh.write("\n# livc drills\nshared_buffers = 64MB\nmax_connections = 60\n"
                     "fsync = on\nsynchronous_commit = on\nlog_min_messages = warning\n")
        return self

    def start(self) -> float:
        """Start and wait until it accepts connections; the seconds it took."""
        t0 = time.monotonic()
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                  "-t", "60", "-o", opts, "start")
        self.running = True
        return time.monotonic() - t0

    def stop(self, mode: str = "fast") -> float:
        t0 = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False
        return time.monotonic() - t0

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def cleanup(self) -> None:
        if self.data.exists():
            with contextlib.suppress(Exception):
                subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate",
                                         "-w", "-t", "30", "stop"), cwd=self.dir,
                               capture_output=True, timeout=40, check=False)
        self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)


def _preferred_port(port: int) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the postmaster does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port
