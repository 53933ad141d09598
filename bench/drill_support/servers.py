"""gunicorn for the drills: sync workers on a free loopback port, started and waited for
until every worker has imported the app and ``/readyz`` answers (:class:`Gunicorn`),
several at once in a context manager that always stops them (:func:`servers`), and a
plain GET for probes (:func:`http_get`).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.drill_support.common import ROOT, VENV_BIN, DrillError
from bench.drill_support.target import Target
from bench.runner.procs import children, free_port


class Gunicorn:
    """``gunicorn --worker-class sync`` on 127.0.0.1, as in ``bench/run.py``."""

    def __init__(self, env: dict[str, str], workers: int, log_path: Path,
                 preload: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers_wanted = workers
        self.log = log_path.open("a")
        cmd = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout",
               "10", "--log-level", "warning", *(["--preload"] if preload else []),
               "bench.wsgi:app"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DrillError(f"gunicorn exited ({self.proc.returncode}); see "
                                 f"{self.log.name}")
            if len(self.booted_workers()) >= self.workers_wanted and \
                    http_get(self.url + "/readyz")[0] == 200:
                return
            time.sleep(0.2)
        raise DrillError(f"gunicorn not ready in {timeout:.0f} s; see {self.log.name}")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def booted_workers(self) -> list[int]:
        """Workers that have imported the app (RSS above what a bare fork holds)."""
        return [p for p in self.workers() if (rss_mb(p) or 0) >= BOOTED_RSS_MB]

    def stop(self) -> None:
        if self.proc.poll() is None:
            # Quick shutdown (SIGINT): the load is over; a graceful one waits ~2 s for idle
            # sync workers to notice.
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


BOOTED_RSS_MB = 60.0  # a forked worker before importing the app: ~25 MB; after: ~90 MB


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return int(r.status), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.headers.get("Content-Type", "")
    except OSError:
        return 0, ""


@contextlib.contextmanager
def servers(target: Target, count: int = 1, workers: int = 2, preload: bool = False,
            env: dict[str, str] | None = None) -> Iterator[list[Gunicorn]]:
    started: list[Gunicorn] = []
    try:
        for i in range(count):
            started.append(Gunicorn(env or target.env, workers,
                                    target.workdir / f"gunicorn-{i + 1}.log", preload))
        yield started
    finally:
        for s in started:
            s.stop()
