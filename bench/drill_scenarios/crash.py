"""Drill 2, ``crash``: ``kill -9`` of a gunicorn worker, repeatedly, under a mixed write
load; no partial state afterwards (every state change with its history row and audit
event, no orphan rows) and every acknowledged write present.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

from bench.drill_support.checks import Checks, snapshot, verify_audit
from bench.drill_support.common import DrillError
from bench.drill_support.consistency import consistency
from bench.drill_support.load import Load, tally
from bench.drill_support.servers import servers
from bench.drill_support.target import Target


def _age_s(pid: int) -> float:
    try:
        start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return uptime - start / os.sysconf("SC_CLK_TCK")


def drill_crash(target: Target, *, kills: int = 40, clients: int = 4, workers: int = 2,
                max_s: float = 90, settle_s: float = 0.2, cli_verify: bool = True,
                preload: bool = True, seed: int = 7) -> dict[str, Any]:
    """``kill -9`` of a worker, ``kills`` times, each some random moment into a mixed
    write load (transitions, notes, new cases with their data keys and subjects): whatever
    a killed worker was doing is committed whole or not at all.

    gunicorn runs with ``--preload`` here: a replacement worker is a fork of the loaded
    master and serves within milliseconds, so nearly every kill lands in a request
    (without it each replacement spends ~3 s of CPU importing the app and most kills
    would hit a worker still booting)."""
    checks = Checks()
    rng = random.Random(seed)
    before = snapshot(target)
    ops = [("transition", 4), ("note_create", 3), ("case_create", 1), ("case_read", 2)]
    killed: list[dict[str, Any]] = []
    with servers(target, 1, workers, preload) as (server,):
        master = server.proc.pid
        load = Load(target, [server.url], ops, clients, max_s=max_s + 30, seed=seed).start()
        deadline = time.monotonic() + max_s
        time.sleep(1.0)
        while len(killed) < kills and time.monotonic() < deadline:
            booted = [p for p in server.booted_workers() if _age_s(p) > settle_s]
            if len(booted) < workers:
                time.sleep(0.1)
                continue
            time.sleep(rng.uniform(0.1, 0.6))  # a random moment into whatever it serves
            pid = rng.choice(booted)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append({"t": time.monotonic() - load.t_start, "pid": pid})
        time.sleep(1.0)  # the last kill's replacement serves a little
        records = load.finish()
        checks.check("gunicorn master survived", server.proc.poll() is None and
                     server.proc.pid == master)
        try:
            server.wait_ready(60)
            respawned = True
        except DrillError:
            respawned = False
        checks.check("every killed worker was replaced", respawned)
    t = tally(records)
    checks.check(f"{kills} workers killed", len(killed) == kills, len(killed))
    checks.check("no 5xx (a killed request is a reset, never a 500)",
                 t["5xx_other"] == 0 and t["503"] == 0, t["by_status"])
    checks.check("every answer is 2xx or 409 (or no answer from a killed worker)",
                 t["other"] == 0, t["by_status"])
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify)
    return {"answers": t, "kills": len(killed), "killed_at_s": [round(k["t"], 2)
                                                                 for k in killed],
            "resets_seen_by_clients": t["reset"], "database": figures, "verify": verify,
            "checks": checks}
