"""Drill 3, ``db_restart``: the private cluster stopped (``-m immediate``, then ``-m
fast``) and started again under load, gunicorn left alone: 503 problem+json while the
database is down (no 500, no reset), recovery by the same workers, nothing acknowledged
lost; the recovery times.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from bench.drill_support.checks import Checks, snapshot, verify_audit
from bench.drill_support.common import DrillError
from bench.drill_support.consistency import consistency
from bench.drill_support.load import Load, tally
from bench.drill_support.servers import http_get, servers
from bench.drill_support.target import Target


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def drill_db_restart(target: Target, *, cycles: tuple[tuple[str, float], ...] = (
        ("immediate", 5.0), ("fast", 5.0)), clients: int = 4, workers: int = 2,
        lead_s: float = 4.0, after_s: float = 4.0, cli_verify: bool = True,
        preload: bool = False) -> dict[str, Any]:
    """The private cluster is stopped under load (``pg_ctl stop -m immediate``: a crash;
    ``-m fast``: an orderly restart), kept down, and started again; gunicorn is left
    alone.  While it is down every request must answer 503 problem+json; afterwards the
    same workers must serve again (``pool_pre_ping``), and nothing acknowledged is lost."""
    cluster = target.cluster
    if cluster is None:
        raise DrillError("db_restart needs the private cluster")
    checks = Checks()
    before = snapshot(target)
    ops = [("transition", 3), ("note_create", 3), ("case_read", 2), ("case_create", 1)]
    outages: list[dict[str, Any]] = []
    probes: list[tuple[float, int, str]] = []
    with servers(target, 1, workers, preload) as (server,):
        pids_before = sorted(server.workers())
        load = Load(target, [server.url], ops, clients, max_s=600, seed=23).start()
        stop_probe = threading.Event()

        def probe() -> None:  # /readyz every 50 ms, from this process
            while not stop_probe.is_set():
                t = time.monotonic()
                status, ctype = http_get(server.url + "/readyz", timeout=10)
                probes.append((t, status, ctype))
                time.sleep(0.05)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        time.sleep(lead_s)
        for mode, down_s in cycles:
            o: dict[str, Any] = {"mode": mode, "t_stop": time.monotonic()}
            o["stop_s"] = round(cluster.stop(mode), 3)
            o["t_down"] = time.monotonic()
            time.sleep(down_s)
            o["t_start"] = time.monotonic()
            o["start_s"] = round(cluster.start(), 3)
            o["t_up"] = time.monotonic()
            outages.append(o)
            time.sleep(after_s)
        records = load.finish()
        stop_probe.set()
        prober.join(timeout=15)
        pids_after = sorted(server.workers())
        checks.check("the same gunicorn workers serve after the restarts (no restart, no "
                     "crash)", pids_before == pids_after and server.proc.poll() is None,
                     f"{pids_before} -> {pids_after}")
    t = tally(records)
    checks.check("no 500 and no other 5xx", t["5xx_other"] == 0, t["by_status"])
    checks.check("no connection reset or timeout", t["reset"] == 0,
                 [r.get("error") for r in records if r["status"] == 0][:3])
    checks.check("every answer is 2xx, 409 or 503", t["other"] == 0, t["by_status"])
    checks.check("every 503 is problem+json",
                 all(r["problem"] for r in records if r["status"] == 503))
    cycles_out = []
    for o in outages:
        down = [r for r in records if r["t0"] >= o["t_down"] and r["t1"] <= o["t_start"]]
        around = [r for r in records if r["t1"] >= o["t_stop"] and r["t0"] <= o["t_up"]]
        first_ok = min((r["t1"] for r in records if r["t0"] >= o["t_up"]
                        and 200 <= r["status"] < 300), default=None)
        first_ok_any = min((r["t1"] for r in records if r["t1"] >= o["t_start"]
                            and 200 <= r["status"] < 300), default=None)
        ready = min((p[0] for p in probes if p[0] >= o["t_up"] and p[1] == 200), default=None)
        probes_down = [p for p in probes if o["t_down"] <= p[0] <= o["t_start"]]
        c = {
            "mode": o["mode"], "stop_s": o["stop_s"], "down_s": round(
                o["t_start"] - o["t_down"], 2), "start_s": o["start_s"],
            "requests_while_down": len(down),
            "answers_while_down": dict(Counter(str(r["status"]) for r in down)),
            "answers_around_outage": dict(Counter(str(r["status"]) for r in around)),
            "max_latency_while_down_ms": _ms(max((r["t1"] - r["t0"] for r in down),
                                                 default=None)),
            "recovery_s_first_2xx_after_up": round(first_ok - o["t_up"], 3)
            if first_ok else None,
            "recovery_s_first_2xx_after_start": round(first_ok_any - o["t_start"], 3)
            if first_ok_any else None,
            "readyz_recovery_s": round(ready - o["t_up"], 3) if ready else None,
            "readyz_while_down": dict(Counter(str(p[1]) for p in probes_down)),
        }
        cycles_out.append(c)
        checks.check(f"{o['mode']}: requests while down", len(down) > 0, 0)
        checks.check(f"{o['mode']}: every request while down answered 503 problem+json",
                     all(r["status"] == 503 and r["problem"] for r in down),
                     c["answers_while_down"])
        checks.check(f"{o['mode']}: /readyz 503 while down",
                     bool(probes_down) and all(p[1] == 503 for p in probes_down),
                     c["readyz_while_down"])
        checks.check(f"{o['mode']}: serves again after the start", first_ok is not None)
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify)
    return {"answers": t, "cycles": cycles_out, "database": figures, "verify": verify,
            "checks": checks}
