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

This script is the entry point; the phases are in ``bench/runner/`` (see its
``__init__``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.runner.accounting import QuietGate  # noqa: E402
from bench.runner.procs import base_env  # noqa: E402
from bench.runner.report import assemble, markdown, table  # noqa: E402
from bench.runner.scale import run_scale  # noqa: E402
from bench.runner.settings import (  # noqa: E402
    OUT,
    RESULTS,
    VENV_BIN,
    Budget,
    Log,
    Terminated,
    settings_from,
)


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
