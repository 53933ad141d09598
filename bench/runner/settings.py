"""What one benchmark run measures and how long it may take: the paths it writes to, the
operations, the scales and phase lengths (``--quick``/``BENCH_QUICK`` and the other
``BENCH_*`` variables read by :func:`settings_from`), the run's time budget, the
``Terminated`` signal exception, and the run log that mirrors progress to standard output
and ``bench/out/run.log``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
VENV_BIN = Path(sys.executable).parent

OPS = ("insert_baseline", "case_read", "case_list", "note_create", "case_transition",
       "referral_accept", "audit_search")


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
