"""Drill 1, ``conflicts``: many transitions on a few cases from several processes at once,
each sending the version it last saw; every answer must be 200 or 409, and the history rows
and audit events must equal the successful transitions.
"""

from __future__ import annotations

import time
from typing import Any

from bench.drill_support.checks import Checks, snapshot, verify_audit
from bench.drill_support.common import DrillError
from bench.drill_support.consistency import consistency
from bench.drill_support.load import Load, tally
from bench.drill_support.servers import servers
from bench.drill_support.target import Target, transition_pool


def drill_conflicts(target: Target, *, transitions: int = 1000, clients: int = 4,
                    workers: int = 4, cases: int = 50, cli_verify: bool = True,
                    preload: bool = False) -> dict[str, Any]:
    """``transitions`` attempts from ``clients`` processes, all on the same ``cases``
    cases, each client sending the version it last saw: stale versions and races on the
    row lock answer 409; nothing else is allowed."""
    checks = Checks()
    pool = transition_pool(target.plan)[:cases]
    if len(pool) < cases:
        raise DrillError(f"the seed has {len(pool)} transition cases, {cases} wanted")
    before = snapshot(target)
    with servers(target, 1, workers, preload) as (server,):
        per_client = transitions // clients
        t0 = time.monotonic()
        records = Load(target, [server.url], [("transition", 1)], clients,
                       count_per_client=per_client, transition_cases=pool,
                       partition=False, seed=11).start().finish(stop=False)
        wall = time.monotonic() - t0
    moves = [r for r in records if r["op"] == "transition"]
    t = tally(moves)
    checks.check(f"{transitions} transitions sent", len(moves) == per_client * clients,
                 len(moves))
    checks.check("every transition answered 200 or 409", t["2xx"] + t["409"] == len(moves),
                 t["by_status"])
    figures = consistency(target, before, checks, records, exact_transitions=True)
    verify = verify_audit(target, checks, cli_verify)
    return {"answers": t, "refresh_reads": len(records) - len(moves),
            "cases": cases, "clients": clients, "workers": workers,
            "successful_transitions": t["2xx"], "history_rows_added": figures[
                "new_transition_rows"], "transition_events_added": figures["transition_events"],
            "wall_s": round(wall, 2), "database": figures, "verify": verify,
            "checks": checks}
