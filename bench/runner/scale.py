"""One database at one scale, start to end (:func:`run_scale`): create and migrate it,
bulk-seed it (``flask bench seed``), serve it with gunicorn and measure every operation,
stop the server and verify the log, optionally profile in process (``bench/profile.py``),
and drop the database (unless ``--keep``), also when a step fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.runner.accounting import QuietGate
from bench.runner.procs import run_step
from bench.runner.rounds import measure
from bench.runner.server import Database, Server
from bench.runner.settings import OUT, ROOT, VENV_BIN, Budget, Log, Scale, Settings
from bench.runner.verify import measure_verify


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
