"""``make drills``: the reliability drills, against real processes on 127.0.0.1 only.

    python bench/drills.py                    # every drill (4-6 minutes)
    python bench/drills.py --only crash       # one drill (repeat --only for several)
    python bench/drills.py --list

Every drill runs gunicorn (sync workers, like ``bench/run.py``) on a fresh database of a
private, throwaway PostgreSQL cluster (``initdb`` into a temporary directory, ``pg_ctl``
on a free port, removed at the end, also on failure or Ctrl+C): the machine's shared
PostgreSQL is never stopped.  Databases are migrated with ``flask db upgrade`` and loaded
with ``flask bench seed``; the load comes from separate client processes (HTTP with
bearer tokens); the checks are SQL on the database afterwards, and
``flask --app wsgi audit verify`` (exit code 0).

1. ``conflicts``: 1,000 transitions on 50 cases from 4 processes, every request 200 or
   409; history rows = successful transitions; audit gap-free and verifying.
2. ``crash``: ``kill -9`` of a gunicorn worker, repeatedly, under a mixed write load: no
   partial state (every state change has its history row and its audit event, every
   history row its event, no orphan rows), every acknowledged write present.
3. ``db_restart``: the cluster stopped (``-m immediate``, then ``-m fast``) and started
   under load: 503 problem+json while it is down (no 500, no reset), recovery without
   restarting gunicorn, no acknowledged write lost; the recovery time.
4. ``backup_restore``: ``pg_dump`` while the app writes, ``pg_restore`` into a new
   database, the chain verifies there and every encrypted value decrypts.
5. ``instances_jobs``: two gunicorn masters on two ports, one database, load on both,
   and two ``flask jobs run`` started together (twice): every expiry, review reminder
   and purge happens exactly once.
6. ``key_rotation``: ``flask keys rotate`` under load: no failed request, nothing left
   under the old master key, every value decrypts with the new key alone.

Figures go to ``bench/drills.json`` and a summary per drill to standard output; logs to
``bench/out/drills/``.  The exit code is 1 when any check of any drill fails.
``tests/ops/test_drills.py`` runs the same functions, scaled down, in the test suite.

This script is the entry point: the drills are in ``bench/drill_scenarios/`` (one
module each), what they share in ``bench/drill_support/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.drill_scenarios.backup_restore import drill_backup_restore  # noqa: E402
from bench.drill_scenarios.conflicts import drill_conflicts  # noqa: E402
from bench.drill_scenarios.crash import drill_crash  # noqa: E402
from bench.drill_scenarios.db_restart import drill_db_restart  # noqa: E402
from bench.drill_scenarios.instances_jobs import drill_instances_jobs  # noqa: E402
from bench.drill_scenarios.key_rotation import drill_key_rotation  # noqa: E402
from bench.drill_support.checks import Checks  # noqa: E402
from bench.drill_support.cluster import PgCluster  # noqa: E402
from bench.drill_support.common import OUT, DrillError, Terminated, say  # noqa: E402
from bench.drill_support.report import jsonable, summary  # noqa: E402
from bench.drill_support.target import prepare  # noqa: E402

RESULTS = ROOT / "bench" / "drills.json"
DRILLS = ("conflicts", "crash", "db_restart", "backup_restore", "instances_jobs",
          "key_rotation")


# name -> (seed size: cases, events, offered), drill function
PLANS: dict[str, tuple[tuple[int, int, int], Callable[..., dict[str, Any]]]] = {
    "conflicts": ((250, 5_000, 100), drill_conflicts),
    "crash": ((1_000, 20_000, 300), drill_crash),
    "db_restart": ((1_000, 20_000, 300), drill_db_restart),
    "backup_restore": ((1_000, 20_000, 300), drill_backup_restore),
    "instances_jobs": ((1_000, 20_000, 600), drill_instances_jobs),
    "key_rotation": ((2_000, 20_000, 300), drill_key_rotation),
}


def run_drill(name: str, cluster: PgCluster) -> dict[str, Any]:
    (cases, events, offered), fn = PLANS[name]
    t0 = time.monotonic()
    say(f"{name}: preparing a database ({cases} cases, {events} events)")
    try:
        target = prepare(cluster, f"drill_{name}", cases=cases, events=events,
                         offered=offered)
        say(f"{name}: running")
        result = fn(target)
    except (DrillError, subprocess.TimeoutExpired, OSError) as exc:
        result = {"checks": Checks(failures=[f"setup: {type(exc).__name__}: {exc}"])}
    except Exception as exc:  # a bug in a drill is reported with the others
        result = {"checks": Checks(failures=[f"error: {type(exc).__name__}: {exc}"]),
                  "traceback": traceback.format_exc()[-2000:]}
    checks: Checks = result.pop("checks")
    result = {"ok": checks.ok, "failures": checks.failures, "checks": checks.results,
              "seed": {"cases": cases, "events": events, "offered": offered},
              "seconds": round(time.monotonic() - t0, 1),
              # The machine may be shared: its load average at the end of the drill.
              "loadavg_1_5": [round(x, 2) for x in os.getloadavg()[:2]], **result}
    with contextlib.suppress(Exception):
        cluster.execute(f"DROP DATABASE IF EXISTS drill_{name} WITH (FORCE)")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run the reliability drills (docs/PERFORMANCE.md).")
    p.add_argument("--only", action="append", choices=DRILLS,
                   help="run this drill (repeatable); default: all")
    p.add_argument("--list", action="store_true", help="list the drills and exit")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--port", type=int, default=None, help="private cluster port "
                   "(default 55432, or a free one)")
    args = p.parse_args(argv)
    if args.list:
        for name in DRILLS:
            print(name)
        return 0
    names = [n for n in DRILLS if not args.only or n in args.only]

    def _terminate(signum: int, _frame: Any) -> None:
        raise Terminated(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    OUT.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    results: dict[str, Any] = {}
    stopped = None
    cluster: PgCluster | None = None
    try:
        cluster = PgCluster(args.port).init()
        cluster.start()
        say(f"private PostgreSQL cluster on 127.0.0.1:{cluster.port} ({cluster.dir})")
        for name in names:
            results[name] = run_drill(name, cluster)
            print(summary(name, results[name]), flush=True)
    except (Terminated, DrillError) as exc:
        stopped = f"{type(exc).__name__}: {exc}"
        say(f"stopped: {stopped}")
    finally:
        if cluster is not None:
            cluster.cleanup()
    doc = {"started_at": started.isoformat(), "wall_s": round(time.monotonic() - t0, 1),
           "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
           "ok": stopped is None and all(r["ok"] for r in results.values()),
           "drills": jsonable(results)}
    if stopped:
        doc["incomplete"] = stopped
    args.results.write_text(json.dumps(doc, indent=1) + "\n")
    print()
    for name, r in results.items():
        print(f"{'PASS' if r['ok'] else 'FAIL'}  {name:15} {r['seconds']:6.1f} s"
              + (f"  ({len(r['failures'])} failed checks)" if r["failures"] else ""))
    print(f"results in {args.results} ({doc['wall_s']} s)")
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
