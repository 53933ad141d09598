"""What the machine did during a measured phase, so that a disturbed figure is reported
rather than hidden: CPU seconds by the server's workers, the database backends, the load
generator and everyone else (:class:`CpuAccount`), what the PostgreSQL backends waited for
(:class:`WaitSampler`), and a bounded wait for the machine to go idle before each phase
(:class:`QuietGate`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.runner.server import Database
from bench.runner.settings import Log

IDLE_SHARE = 0.15  # the machine counts as idle below this share of busy CPUs


CLK_TCK = os.sysconf("SC_CLK_TCK")


def system_busy_s() -> float:
    """CPU seconds the whole machine spent busy since boot (all CPUs)."""
    vals = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / CLK_TCK


def proc_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu_s() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class CpuAccount:
    """Who used the CPUs during one load phase: the server's workers, the database
    backends serving it, the load generator, and everything else on the machine (other
    people's work disturbs the figures: it is reported, not hidden)."""

    def __init__(self, server_pids: list[int], db_pids: list[int]) -> None:
        self.t0 = time.monotonic()
        self.system0 = system_busy_s()
        self.client0 = children_cpu_s()
        self.server0 = {p: proc_cpu_s(p) or 0.0 for p in server_pids}
        self.db0 = {p: proc_cpu_s(p) or 0.0 for p in db_pids}

    @staticmethod
    def _delta(before: dict[int, float], pids: list[int]) -> float:
        total = 0.0
        for p in pids:
            now = proc_cpu_s(p)
            if now is not None:
                total += now - before.get(p, 0.0)
        return total

    def finish(self, server_pids: list[int], db_pids: list[int]) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        system = system_busy_s() - self.system0
        server = self._delta(self.server0, server_pids)
        database = self._delta(self.db0, db_pids)
        client = children_cpu_s() - self.client0
        other = max(0.0, system - server - database - client)
        capacity = wall * (os.cpu_count() or 1)
        return {"wall_s": round(wall, 2), "busy_share": round(system / capacity, 3),
                "server_cpu_s": round(server, 2), "database_cpu_s": round(database, 2),
                "client_cpu_s": round(client, 2), "other_cpu_s": round(other, 2),
                "other_share": round(other / capacity, 3)}


class WaitSampler:
    """On PostgreSQL, what the database backends serving the benchmark wait for, sampled
    from ``pg_stat_activity`` every 20 ms during a phase: ``Lock`` waits are mostly the
    audit head row (every audited transaction locks it until it commits), ``IO``/``LWLock``
    WAL waits are commits waiting for the disk."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.samples = 0
        self.busy = 0  # backends active or waiting, summed over samples
        self.by_event: dict[str, int] = {}
        self._stop = False
        self._thread: Any = None

    def __enter__(self) -> WaitSampler:
        if self.db.kind == "postgresql":
            import threading

            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.db.admin, autocommit=True, connect_timeout=5) as conn:
            while not self._stop:
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (self.db.name,)).fetchall()
                self.samples += 1
                for state, wtype, wevent in rows:
                    if state != "active":
                        continue
                    self.busy += 1
                    key = f"{wtype}:{wevent}" if wtype else "CPU"
                    self.by_event[key] = self.by_event.get(key, 0) + 1
                time.sleep(0.02)

    def __exit__(self, *_exc: object) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def result(self) -> dict[str, Any] | None:
        if not self.samples:
            return None
        # Per sample: how many backends were in each state (2 workers: at most 2).
        return {"samples": self.samples,
                "active_backends": round(self.busy / self.samples, 3),
                "by_wait": {k: round(v / self.samples, 3) for k, v in
                            sorted(self.by_event.items(), key=lambda kv: -kv[1])[:6]}}


class QuietGate:
    """Before each measured phase, wait (a bounded time) until the machine is idle: other
    people's test runs on a 2-CPU machine halve the figures.  What remains is reported
    per phase as ``cpu.other_share``."""

    def __init__(self, log: Log, per_phase_s: float, total_s: float) -> None:
        self.log, self.per_phase_s, self.left_s = log, per_phase_s, total_s

    def wait(self, label: str) -> float:
        waited = 0.0
        while True:
            before = system_busy_s()
            time.sleep(0.5)
            busy = (system_busy_s() - before) / 0.5 / (os.cpu_count() or 1)
            waited += 0.5
            if busy < IDLE_SHARE or waited >= self.per_phase_s or waited >= self.left_s:
                break
            if waited == 0.5:
                self.log(f"  {label}: the machine is busy ({busy:.0%}); waiting for it to "
                         f"quieten (at most {min(self.per_phase_s, self.left_s):.0f} s)")
        self.left_s -= waited - 0.5
        return busy
