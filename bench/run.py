"""``make bench``: the whole benchmark, bounded in time, loopback only.

For each database (SQLite, PostgreSQL) and each scale (small: 1k cases; large: 100k cases
with 10M audit events on PostgreSQL, 1M on SQLite):

1. a fresh database is migrated (``flask db upgrade``) and bulk-seeded
   (``flask bench seed``);
2. gunicorn serves it (sync workers, 2, 127.0.0.1 only) with ``REFERRAL_BENCH=1``;
3. ``bench/loadgen.py`` -- a separate process -- drives each operation in turn for a fixed
   time, the bare ``/bench/insert`` baseline first, all against that same server;
   the workers' RSS is read from ``/proc`` after every operation;
4. the server stops and ``flask audit verify`` runs over the whole log (including what the
   load appended) as a child process whose peak RSS is taken from ``wait4``;
5. optionally (on by default in the full run) ``bench/profile.py`` profiles each operation
   in process (statements per request, time in the driver, pyinstrument);
6. the database is dropped.

Results go to ``bench/results.json`` and a table on standard output; the logs of every
step to ``bench/out/``.  ``BENCH_QUICK=1`` (or ``--quick``) runs tiny sizes and short
phases: a smoke test of the whole pipeline in about two minutes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
VENV_BIN = Path(sys.executable).parent

OPS = ("insert_baseline", "case_read", "case_list", "note_create", "case_transition",
       "referral_accept", "audit_search")
NOISY_SHARE = 0.10  # other processes' share of the CPUs above which a phase is flagged
IDLE_SHARE = 0.15  # the machine counts as idle below this share of busy CPUs
LATENCY_TARGET_OPS = ("case_read", "case_list", "case_transition")
TARGETS = {
    "case_transition_ratio": 0.6,
    "case_read_ratio": 0.8,
    "p95_ms_at_large": 50.0,
    "growth_max": 1.5,
    "verify_events_per_s": 1_000_000 / 3,
    "worker_rss_mb": 150.0,
}


@dataclass(frozen=True)
class Scale:
    name: str
    cases: int
    events: int


@dataclass(frozen=True)
class Settings:
    quick: bool
    databases: tuple[str, ...]
    scales: dict[str, tuple[Scale, Scale]]
    warmup: float
    duration: float
    rounds: int
    concurrency: int
    workers: int
    offered: int
    profile: bool
    budget_s: float
    pg_admin_url: str
    keep: bool


def settings_from(args: argparse.Namespace) -> Settings:
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in {"", "0"}
    if quick:
        scales = {db: (Scale("small", 200, 20_000), Scale("large", 2_000, 200_000))
                  for db in ("sqlite", "postgresql")}
        warmup, duration, offered, rounds = 0.5, 1.5, 600, 1
    else:
        pg_events = int(os.environ.get("BENCH_PG_EVENTS", "10000000"))
        sqlite_events = int(os.environ.get("BENCH_SQLITE_EVENTS", "1000000"))
        scales = {
            "sqlite": (Scale("small", 1_000, 100_000), Scale("large", 100_000, sqlite_events)),
            "postgresql": (Scale("small", 1_000, 100_000),
                           Scale("large", 100_000, pg_events)),
        }
        warmup, duration, offered, rounds = 1.0, 9.0, 3_000, 3
    profile_env = os.environ.get("BENCH_PROFILE")
    profile = (not quick) if profile_env is None else profile_env not in {"", "0"}
    return Settings(
        quick=quick,
        databases=tuple(args.databases.split(",")),
        scales=scales,
        warmup=float(os.environ.get("BENCH_WARMUP", str(warmup))),
        duration=float(os.environ.get("BENCH_DURATION", str(duration))),
        rounds=int(os.environ.get("BENCH_ROUNDS", str(rounds))),
        concurrency=int(os.environ.get("BENCH_CONCURRENCY", "4")),
        workers=int(os.environ.get("BENCH_WORKERS", "2")),
        offered=offered,
        profile=profile if not args.no_profile else False,
        budget_s=float(os.environ.get("BENCH_BUDGET_S", "300" if quick else "2280")),
        pg_admin_url=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
        keep=args.keep,
    )


class Terminated(Exception):
    """SIGTERM (``timeout`` in ``make bench``, or an operator): stop, clean up, report."""


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self, wanted: float) -> float:
        left = self.left()
        if left <= 5:
            raise TimeoutError("the benchmark's time budget is spent")
        return min(wanted, left)


class Log:
    def __init__(self, path: Path) -> None:
        self.fh = path.open("w")
        self.t0 = time.monotonic()

    def __call__(self, msg: str, quiet: bool = False) -> None:
        line = f"[{time.monotonic() - self.t0:7.1f}s] {msg}"
        if not quiet:
            print(line, flush=True)
        self.fh.write(line + "\n")
        self.fh.flush()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def base_env() -> dict[str, str]:
    """Fresh secrets for this run only: nothing is read from or written to instance/."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    signing = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                         NoEncryption())
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update({
        "REFERRAL_ENV": "production",
        "REFERRAL_BENCH": "1",
        "REFERRAL_SECRET_KEY": _b64(secrets.token_bytes(32)),
        "REFERRAL_MASTER_KEYS": f"bench1:{_b64(secrets.token_bytes(32))}",
        "REFERRAL_PSEUDONYM_KEY": _b64(secrets.token_bytes(32)),
        "REFERRAL_AUDIT_SIGNING_KEY": _b64(signing),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run_step(log: Log, name: str, cmd: list[str], env: dict[str, str], timeout: float
             ) -> subprocess.CompletedProcess[str]:
    log(f"{name}: {' '.join(cmd[:6])}{' ...' if len(cmd) > 6 else ''}",
        quiet=name.startswith("load-"))
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    (OUT / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


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


def measure_verify(log: Log, env: dict[str, str], label: str, timeout: float
                   ) -> dict[str, Any]:
    """``flask audit verify`` as a child process: its throughput line and peak RSS."""
    cmd = [str(VENV_BIN / "flask"), "--app", "bench.wsgi", "audit", "verify"]
    log(f"verify {label}")
    out_path = OUT / f"verify-{label}.log"
    with out_path.open("w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError("audit verify took too long")
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text()
    m = re.search(r"throughput: ([\d,]+) events/s \((\d+) events in ([\d.]+) s\)", text)
    ok = proc.returncode == 0 and text.startswith("ok:")
    result: dict[str, Any] = {
        "ok": ok,
        "exit_code": proc.returncode,
        "events": int(m.group(2)) if m else None,
        "seconds": float(m.group(3)) if m else None,
        "events_per_s": int(m.group(1).replace(",", "")) if m else None,
        "wall_s_with_startup": round(wall, 2),
        # ru_maxrss is in KiB on Linux: the child's peak resident set, threads included.
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "output": text.strip().splitlines()[:3],
    }
    log(f"verify {label}: {result['events']} events, {result['events_per_s']} events/s, "
        f"peak RSS {result['peak_rss_mb']} MB, ok={ok}")
    return result


def measure(log: Log, settings: Settings, budget: Budget, gate: QuietGate, server: Server,
            db: Database, plan_path: Path, env: dict[str, str]
            ) -> tuple[dict[str, Any], float]:
    """Every operation against the same server, in interleaved rounds: whatever else the
    machine does meanwhile falls on all operations alike, not on one of them."""
    label = db.label
    for old in OUT.glob(f"state-{label}-*.json"):
        old.unlink()
    parts: dict[str, list[tuple[dict[str, Any], list[float]]]] = {op: [] for op in OPS}
    rss_max = 0.0
    per_round = settings.duration / settings.rounds
    for rnd in range(1, settings.rounds + 1):
        for op in OPS:
            tag = f"{label}-{op}-r{rnd}"
            out, samples = OUT / f"load-{tag}.json", OUT / f"samples-{tag}.json"
            busy_before = gate.wait(f"{label} {op} (round {rnd})")
            account = CpuAccount(server.workers(), db.backend_pids())
            with WaitSampler(db) as waits:
                run_step(log, f"load-{tag}", [
                    sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", server.url,
                    "--plan", str(plan_path), "--op", op, "--warmup", str(settings.warmup),
                    "--duration", str(per_round), "--concurrency", str(settings.concurrency),
                    "--out", str(out), "--samples", str(samples),
                    "--state", str(OUT / f"state-{label}-{op}.json")],
                    env, budget.timeout(settings.warmup + per_round + 180))
            r = json.loads(out.read_text())
            r["db_waits"] = waits.result()
            r["cpu"] = account.finish(server.workers(), db.backend_pids())
            r["cpu"]["busy_share_before"] = round(busy_before, 3)
            rss = server.worker_rss()
            r["worker_rss_mb"] = [round(x, 1) for x in rss]
            rss_max = max([rss_max, *rss])
            parts[op].append((r, json.loads(samples.read_text())))
            samples.unlink()
            log(f"  r{rnd} {op:16} {r['rps']:8.1f} req/s  p95 {r['p95_ms']} ms  errors "
                f"{r['errors'] or '-'}  cpu other {r['cpu']['other_share']:.0%}")
    ops = {op: merge_rounds(parts[op]) for op in OPS}
    base_rps = ops["insert_baseline"]["rps"] or float("nan")
    base_cost = ops["insert_baseline"]["cpu"]["server_db_ms_per_request"]
    for op, r in ops.items():
        r["ratio_to_insert"] = round(r["rps"] / base_rps, 3) if base_rps else None
        cost = r["cpu"]["server_db_ms_per_request"]
        r["cpu_ms_per_request"] = cost
        r["cpu_ratio_to_insert"] = round(base_cost / cost, 3) if base_cost and cost else None
        log(f"  {op:16} {r['rps']:8.1f} req/s  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms"
            f"  p99 {r['p99_ms']} ms  ratio {r['ratio_to_insert']} (cpu "
            f"{r['cpu_ratio_to_insert']})  errors "
            f"{r['errors'] or '-'}  rss {r['worker_rss_mb']}  cpu other "
            f"{r['cpu']['other_share']:.0%}")
    return ops, rss_max


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[k], 2)


def _merge_waits(parts: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    found = [p for p in parts if p]
    if not found:
        return None
    samples = sum(p["samples"] for p in found)
    events: dict[str, float] = {}
    for p in found:
        for k, v in p["by_wait"].items():
            events[k] = events.get(k, 0.0) + v * p["samples"]
    active = sum(p["active_backends"] * p["samples"] for p in found)
    return {"samples": samples, "active_backends": round(active / samples, 3),
            "by_wait": {k: round(v / samples, 3) for k, v in
                        sorted(events.items(), key=lambda kv: -kv[1])[:6]}}


def merge_rounds(parts: list[tuple[dict[str, Any], list[float]]]) -> dict[str, Any]:
    samples = sorted(x for _r, per in parts for x in per)
    results = [r for r, _per in parts]
    ok = len(samples)
    window = sum(r["window_s"] for r in results)
    requests = sum(r["requests"] for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for status, n in r["errors"].items():
            errors[status] = errors.get(status, 0) + n
    cpu_keys = ("wall_s", "server_cpu_s", "database_cpu_s", "client_cpu_s", "other_cpu_s")
    cpu: dict[str, Any] = {k: round(sum(r["cpu"][k] for r in results), 2) for k in cpu_keys}
    capacity = cpu["wall_s"] * (os.cpu_count() or 1)
    cpu["other_share"] = round(cpu["other_cpu_s"] / capacity, 3) if capacity else None
    # CPU cost per request (warm-up included, as in the CPU accounting): what the server and
    # the database spend on one request.  Others' load on the machine barely changes it,
    # unlike req/s: it is the figure to compare across runs on a busy machine.
    sent = sum(r["requests"] + r.get("warmup_requests", 0) for r in results)
    cpu["server_db_ms_per_request"] = (
        round((cpu["server_cpu_s"] + cpu["database_cpu_s"]) / sent * 1000, 3) if sent else None)
    cpu["client_ms_per_request"] = round(cpu["client_cpu_s"] / sent * 1000, 3) if sent else None
    cpu["other_share_by_round"] = [r["cpu"]["other_share"] for r in results]
    return {
        "op": results[0]["op"], "rounds": len(results), "concurrency": results[0]["concurrency"],
        "window_s": round(window, 3), "requests": requests, "ok": ok, "errors": errors,
        "error_rate": round((requests - ok) / requests, 4) if requests else None,
        "rps": round(ok / window, 1) if window and ok else 0.0,
        "rps_by_round": [r["rps"] for r in results],
        "p50_ms": _percentile(samples, 50), "p95_ms": _percentile(samples, 95),
        "p99_ms": _percentile(samples, 99),
        "mean_ms": round(sum(samples) / ok, 2) if ok else None,
        "max_ms": round(samples[-1], 2) if ok else None,
        "worker_rss_mb": results[-1]["worker_rss_mb"],
        "cpu": cpu,
        "db_waits": _merge_waits([r.get("db_waits") for r in results]),
        "sample_failures": [f for r in results for f in r["sample_failures"]][:5],
    }


def run_scale(log: Log, settings: Settings, budget: Budget, gate: QuietGate, kind: str,
              scale: Scale, base: dict[str, str]) -> dict[str, Any]:
    db = Database(kind, scale, settings)
    env = {**base, "REFERRAL_DATABASE_URL": db.url}
    label = db.label
    plan_path = OUT / f"plan-{label}.json"
    result: dict[str, Any] = {"cases": scale.cases, "events": scale.events}
    db.create()
    server: Server | None = None
    try:
        run_step(log, f"migrate-{label}", [str(VENV_BIN / "flask"), "--app", "bench.wsgi", "db",
                                           "upgrade"], env, budget.timeout(300))
        t0 = time.perf_counter()
        proc = run_step(log, f"seed-{label}", [
            str(VENV_BIN / "flask"), "--app", "bench.wsgi", "bench", "seed", "--cases",
            str(scale.cases), "--events", str(scale.events), "--offered", str(settings.offered),
            "--out", str(plan_path)], env, budget.timeout(1_200))
        seed_wall = time.perf_counter() - t0
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        result["seed"] = {"wall_s": round(seed_wall, 1), "timings_s": summary["timings_s"],
                          "counts": summary["counts"],
                          "events_per_s": round(scale.events / seed_wall)}
        result["database_mb_after_seed"] = db.size_mb()
        log(f"seeded {label}: {scale.cases} cases, {scale.events} events in {seed_wall:.1f} s "
            f"({result['database_mb_after_seed']} MB)")

        server = Server(log, env, settings.workers, label)
        result["server"] = {"workers": settings.workers, "worker_class": "sync",
                            "rss_mb_at_start": [round(r, 1) for r in server.worker_rss()]}
        ops, rss_max = measure(log, settings, budget, gate, server, db, plan_path, env)
        result["operations"] = ops
        result["worker_rss_mb_max"] = round(rss_max, 1)
        server.stop()
        server = None

        try:
            result["verify"] = measure_verify(log, env, label, budget.timeout(900))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            result["verify_error"] = f"{type(exc).__name__}: {exc}"[:500]
            log(f"verify {label} failed: {result['verify_error']}")
        result["database_mb_after_run"] = db.size_mb()
        if settings.profile:
            prof_out = OUT / f"profile-{label}.json"
            try:
                run_step(log, f"profile-{label}", [
                    sys.executable, str(ROOT / "bench" / "profile.py"), "--plan",
                    str(plan_path), "--requests", "46", "--label", label, "--explain",
                    "--out", str(prof_out)], env, budget.timeout(600))
                result["profile"] = json.loads(prof_out.read_text())
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                # A diagnostic: its failure does not void the measurements.
                result["profile_error"] = f"{type(exc).__name__}: {exc}"[-500:]
                log(f"profile {label} failed (measurements kept): {result['profile_error']}")
    finally:
        if server is not None:
            server.stop()
        if not settings.keep:
            db.drop()
    return result


def _growth(small: dict[str, Any], large: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Per operation: throughput growth (small req/s / large req/s), p95 growth and CPU cost
    growth (large CPU ms per request / small)."""
    growth, p95, cpu = {}, {}, {}
    for op in OPS:
        a, b = small["operations"].get(op), large["operations"].get(op)
        if a and b and a["rps"] and b["rps"]:
            growth[op] = round(a["rps"] / b["rps"], 2)
        if a and b and a.get("p95_ms") and b.get("p95_ms"):
            p95[op] = round(b["p95_ms"] / a["p95_ms"], 2)
        if a and b and a.get("cpu_ms_per_request") and b.get("cpu_ms_per_request"):
            cpu[op] = round(b["cpu_ms_per_request"] / a["cpu_ms_per_request"], 2)
    return growth, p95, cpu


def _summary_ops(ops: dict[str, Any]) -> dict[str, Any]:
    keep = ("rps", "p50_ms", "p95_ms", "p99_ms", "ratio_to_insert", "cpu_ms_per_request",
            "cpu_ratio_to_insert", "mean_ms", "error_rate",
            "errors", "requests", "window_s", "rps_by_round", "worker_rss_mb", "cpu", "db_waits")
    return {op: {k: r.get(k) for k in keep} for op, r in ops.items()}


def assemble(settings: Settings, runs: dict[str, dict[str, Any]], started: datetime,
             wall: float) -> dict[str, Any]:
    databases: dict[str, Any] = {}
    verify_rates, verify_rss, worker_rss = [], [], []
    for kind in settings.databases:
        small, large = runs.get(f"{kind}-small"), runs.get(f"{kind}-large")
        entry: dict[str, Any] = {}
        if small and "operations" in small:
            entry["operations"] = _summary_ops(small["operations"])
            entry["operations_scale"] = {"cases": small["cases"], "events": small["events"]}
        if large and "operations" in large:
            entry.setdefault("operations", _summary_ops(large["operations"]))
            growth, p95_growth, cpu_growth = _growth(small, large) \
                if small and "operations" in small else ({}, {}, {})
            entry["scale"] = {
                "cases": large["cases"], "events": large["events"],
                "growth_1k_to_100k": growth,
                "p95_growth_1k_to_100k": p95_growth,
                "cpu_growth_1k_to_100k": cpu_growth,
                "operations": _summary_ops(large["operations"]),
            }
        entry["verify"] = {name: runs[f"{kind}-{name}"]["verify"]
                           for name in ("small", "large")
                           if f"{kind}-{name}" in runs and "verify" in runs[f"{kind}-{name}"]}
        entry["seed"] = {name: runs[f"{kind}-{name}"].get("seed")
                         for name in ("small", "large") if f"{kind}-{name}" in runs}
        entry["measured_at"] = {name: runs[f"{kind}-{name}"].get("measured_at")
                                 for name in ("small", "large") if f"{kind}-{name}" in runs}
        entry["worker_rss_mb"] = max((runs[f"{kind}-{n}"].get("worker_rss_mb_max", 0)
                                      for n in ("small", "large") if f"{kind}-{n}" in runs),
                                     default=None)
        entry["profile"] = {name: runs[f"{kind}-{name}"].get("profile")
                            for name in ("small", "large")
                            if runs.get(f"{kind}-{name}", {}).get("profile")}
        for v in entry["verify"].values():
            verify_rss.append(v["peak_rss_mb"])
        if entry["worker_rss_mb"]:
            worker_rss.append(entry["worker_rss_mb"])
        databases[kind] = entry
    # The headline verify figure: the longest log verified (PostgreSQL, large).
    longest = max((runs[k]["verify"] for k in runs if "verify" in runs[k]),
                  key=lambda v: v.get("events") or 0, default=None)
    if longest:
        verify_rates.append(longest["events_per_s"])
    results: dict[str, Any] = {
        "databases": databases,
        "verify_events_per_s": verify_rates[0] if verify_rates else None,
        "verify_events": longest["events"] if longest else None,
        "verify_peak_rss_mb": max(verify_rss) if verify_rss else None,
        "worker_rss_mb": max(worker_rss) if worker_rss else None,
        "settings": {"quick": settings.quick, "workers": settings.workers,
                     "worker_class": "sync", "concurrency": settings.concurrency,
                     "warmup_s_per_round": settings.warmup,
                     "measured_s_per_operation": settings.duration, "rounds": settings.rounds,
                     "scales": {k: [vars(s) for s in v] for k, v in settings.scales.items()
                                if k in settings.databases}},
        "machine": machine(),
        "started_at": started.isoformat(),
        "wall_s": round(wall, 1),
    }
    results["targets"] = targets(results)
    return results


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 2**20, 1)
    except OSError:
        pass
    try:
        import psycopg

        with psycopg.connect(os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:"
                                            "5432") + "/postgres", connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else None
            for name in ("shared_buffers", "work_mem", "synchronous_commit"):
                row = conn.execute(f"SHOW {name}").fetchone()
                info[f"pg_{name}"] = row[0] if row else None
    except Exception as exc:  # machine facts are best effort
        info["postgresql"] = f"unknown ({type(exc).__name__})"
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


def targets(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, entry in results["databases"].items():
        ops = entry.get("operations", {})
        for op, key in (("case_transition", "case_transition_ratio"),
                        ("case_read", "case_read_ratio")):
            for field in ("ratio_to_insert", "cpu_ratio_to_insert"):
                ratio = (ops.get(op) or {}).get(field)
                if ratio is not None:
                    out[f"{kind}.{op}.{field}"] = {
                        "value": ratio, "target": f">= {TARGETS[key]}",
                        "met": ratio >= TARGETS[key]}
        scale = entry.get("scale") or {}
        for op in LATENCY_TARGET_OPS:
            p95 = (scale.get("operations", {}).get(op) or {}).get("p95_ms")
            if p95 is not None:
                out[f"{kind}.{op}.p95_ms_at_large"] = {
                    "value": p95, "target": f"< {TARGETS['p95_ms_at_large']}",
                    "met": p95 < TARGETS["p95_ms_at_large"]}
            for field in ("growth_1k_to_100k", "cpu_growth_1k_to_100k"):
                growth = scale.get(field, {}).get(op)
                if growth is not None:
                    out[f"{kind}.{op}.{field}"] = {
                        "value": growth, "target": f"<= {TARGETS['growth_max']}",
                        "met": growth <= TARGETS["growth_max"]}
        verify = entry.get("verify", {})
        if verify.get("large", {}).get("events_per_s"):
            rate = verify["large"]["events_per_s"]
            out[f"{kind}.verify_events_per_s"] = {
                "value": rate, "target": ">= 333,333 (1M per 3 s)",
                "met": rate >= TARGETS["verify_events_per_s"]}
        if "small" in verify and "large" in verify:
            a, b = verify["small"]["peak_rss_mb"], verify["large"]["peak_rss_mb"]
            out[f"{kind}.verify_constant_memory"] = {
                "value": f"{a} MB at {verify['small']['events']} events, {b} MB at "
                         f"{verify['large']['events']} events",
                "target": "peak RSS does not grow with the log (within 25 MB)",
                "met": abs(b - a) <= 25}
    rate = results.get("verify_events_per_s")
    if rate:
        out["verify_events_per_s"] = {"value": rate, "target": ">= 333,333 (1M per 3 s)",
                                      "met": rate >= TARGETS["verify_events_per_s"]}
    rss = results.get("worker_rss_mb")
    if rss:
        out["worker_rss_mb"] = {"value": rss, "target": f"< {TARGETS['worker_rss_mb']}",
                                "met": rss < TARGETS["worker_rss_mb"]}
    return out


def _fmt(v: Any, spec: str = ".1f") -> str:
    if v is None:
        return "-"
    if isinstance(v, float | int):
        return format(v, spec)
    return str(v)


def table(results: dict[str, Any]) -> str:
    lines = []
    for kind, entry in results["databases"].items():
        small = entry.get("operations", {})
        scale = entry.get("scale", {})
        large = scale.get("operations", {})
        lines.append("")
        lines.append(f"{kind}: {entry.get('operations_scale', {}).get('cases', '?')} cases / "
                     f"{entry.get('operations_scale', {}).get('events', '?')} events  vs  "
                     f"{scale.get('cases', '?')} cases / {scale.get('events', '?')} events")
        lines.append(f"{'operation':17}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'ratio':>7}"
                     f"{'cpu':>6} |{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'ratio':>7}"
                     f"{'cpu':>6}{'growth':>8}{'cpu':>6}")
        for op in OPS:
            a, b = small.get(op, {}), large.get(op, {})
            lines.append(
                f"{op:17}{_fmt(a.get('rps')):>8}{_fmt(a.get('p50_ms')):>8}"
                f"{_fmt(a.get('p95_ms')):>8}{_fmt(a.get('p99_ms')):>8}"
                f"{_fmt(a.get('ratio_to_insert'), '.2f'):>7}"
                f"{_fmt(a.get('cpu_ratio_to_insert'), '.2f'):>6} |"
                f"{_fmt(b.get('rps')):>8}{_fmt(b.get('p50_ms')):>8}{_fmt(b.get('p95_ms')):>8}"
                f"{_fmt(b.get('p99_ms')):>8}{_fmt(b.get('ratio_to_insert'), '.2f'):>7}"
                f"{_fmt(b.get('cpu_ratio_to_insert'), '.2f'):>6}"
                f"{_fmt(scale.get('growth_1k_to_100k', {}).get(op), '.2f'):>8}"
                f"{_fmt(scale.get('cpu_growth_1k_to_100k', {}).get(op), '.2f'):>6}")
        noisy = sorted({op for ops in (small, large) for op, r in ops.items()
                        if (r.get("cpu") or {}).get("other_share", 0) > NOISY_SHARE})
        if noisy:
            lines.append(f"! other processes used more than {NOISY_SHARE:.0%} of the CPUs "
                         f"during: {', '.join(noisy)} (see cpu.other_share)")
        for name, v in entry.get("verify", {}).items():
            lines.append(f"verify ({name}): {v['events']} events, {_fmt(v['events_per_s'], ',')}"
                         f" events/s, peak RSS {v['peak_rss_mb']} MB, ok={v['ok']}")
        lines.append(f"worker RSS max: {entry.get('worker_rss_mb')} MB")
    lines.append("")
    lines.append("latency in ms; ratio = req/s / insert_baseline req/s on the same server; "
                 "cpu = the same from CPU ms per request (server + database);")
    lines.append("growth = small req/s / large req/s, then large CPU ms per request / small "
                 "(the cpu figures hold on a busy machine, req/s do not)")
    lines.append("")
    lines.append("targets:")
    for name, t in results["targets"].items():
        lines.append(f"  {'MET ' if t['met'] else 'MISS'} {name}: {t['value']} "
                     f"(target {t['target']})")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The figures as Markdown tables (for docs/PERFORMANCE.md)."""
    out = []
    for kind, entry in results["databases"].items():
        small, scale = entry.get("operations", {}), entry.get("scale", {})
        large = scale.get("operations", {})
        sc = entry.get("operations_scale", {})
        def count(d: dict[str, Any], key: str) -> str:
            value = d.get(key)
            return f"{value:,}" if isinstance(value, int) else "?"  # a phase cut short

        out.append(f"**{kind}** -- {count(sc, 'cases')} cases / {count(sc, 'events')} events, "
                   f"then {count(scale, 'cases')} cases / {count(scale, 'events')} events")
        out.append("")
        out.append("| operation | req/s | p50 | p95 | p99 | ratio | CPU ms | cpu ratio | req/s | "
                   "p50 | p95 | p99 | ratio | CPU ms | cpu ratio | growth | cpu growth | "
                   "other CPU |")
        out.append("| --- |" + " ---: |" * 17)
        for op in OPS:
            a, b = small.get(op, {}), large.get(op, {})
            others = [x.get("cpu", {}).get("other_share") for x in (a, b)]
            out.append(
                f"| {op} | {_fmt(a.get('rps'))} | {_fmt(a.get('p50_ms'))} | "
                f"{_fmt(a.get('p95_ms'))} | {_fmt(a.get('p99_ms'))} | "
                f"{_fmt(a.get('ratio_to_insert'), '.2f')} | "
                f"{_fmt(a.get('cpu_ms_per_request'), '.2f')} | "
                f"{_fmt(a.get('cpu_ratio_to_insert'), '.2f')} | {_fmt(b.get('rps'))} | "
                f"{_fmt(b.get('p50_ms'))} | {_fmt(b.get('p95_ms'))} | {_fmt(b.get('p99_ms'))} | "
                f"{_fmt(b.get('ratio_to_insert'), '.2f')} | "
                f"{_fmt(b.get('cpu_ms_per_request'), '.2f')} | "
                f"{_fmt(b.get('cpu_ratio_to_insert'), '.2f')} | "
                f"{_fmt(scale.get('growth_1k_to_100k', {}).get(op), '.2f')} | "
                f"{_fmt(scale.get('cpu_growth_1k_to_100k', {}).get(op), '.2f')} | "
                f"{' / '.join(_fmt(o, '.0%') for o in others)} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run the benchmark (see docs/PERFORMANCE.md).")
    p.add_argument("--quick", action="store_true", help="tiny sizes, short phases (smoke)")
    p.add_argument("--databases", default="sqlite,postgresql")
    p.add_argument("--scales", default="small,large")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the databases (debugging)")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--reassemble", action="store_true",
                   help="measure nothing: rebuild the results from bench/out/runs.json")
    p.add_argument("--update", action="store_true",
                   help="keep the previous runs (bench/out/runs.json) of the databases and "
                        "scales not measured now, e.g. to re-measure one disturbed scale")
    args = p.parse_args(argv)
    settings = settings_from(args)
    OUT.mkdir(parents=True, exist_ok=True)
    log = Log(OUT / "run.log")
    budget = Budget(settings.budget_s)
    gate = QuietGate(log, per_phase_s=5 if settings.quick else 30,
                     total_s=float(os.environ.get("BENCH_QUIET_WAIT_S",
                                                  "20" if settings.quick else "120")))

    def _terminate(signum: int, _frame: Any) -> None:
        raise Terminated(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    if shutil.which("gunicorn", path=str(VENV_BIN)) is None:
        raise SystemExit("gunicorn is not installed in the virtualenv")
    started = datetime.now(UTC)
    t0 = time.monotonic()
    base = base_env()
    # This run's keys, to reuse a database kept with --keep (set -a; . bench/out/bench.env).
    fd = os.open(OUT / "bench.env", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in sorted(base.items()) if k.startswith("REFERRAL_"))
    runs: dict[str, dict[str, Any]] = {}
    runs_path = OUT / "runs.json"
    if (args.update or args.reassemble) and runs_path.exists():
        runs = json.loads(runs_path.read_text())
    log(f"benchmark {'(quick) ' if settings.quick else ''}on {os.cpu_count()} CPUs, "
        f"budget {settings.budget_s:.0f} s")
    failed = None
    try:
        for kind in () if args.reassemble else settings.databases:
            for scale in settings.scales[kind]:
                if scale.name not in args.scales.split(","):
                    continue
                runs[f"{kind}-{scale.name}"] = run_scale(log, settings, budget, gate, kind,
                                                         scale, base)
                runs[f"{kind}-{scale.name}"]["measured_at"] = datetime.now(UTC).isoformat()
                runs_path.write_text(json.dumps(runs, indent=1))
    except (RuntimeError, TimeoutError, subprocess.TimeoutExpired, Terminated) as exc:
        # What was measured before the failure (or the signal) is still written out.
        failed = f"{type(exc).__name__}: {exc}"
        log(f"stopped: {failed}")
    if args.update or args.reassemble:
        settings = replace(settings, databases=tuple(
            sorted({k.split("-")[0] for k in runs} | set(settings.databases))))
    results = assemble(settings, runs, started, time.monotonic() - t0)
    if failed:
        results["incomplete"] = failed
    args.results.write_text(json.dumps(results, indent=1) + "\n")
    (OUT / "results.md").write_text(markdown(results) + "\n")
    print(table(results))
    log(f"results in {args.results} ({time.monotonic() - t0:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
