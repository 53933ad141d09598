"""The load phase: every operation driven by ``bench/loadgen.py`` (a child process)
against the same server in interleaved rounds, with the CPU account, the database waits
and the workers' RSS of each round (:func:`measure`), then the rounds of an operation
merged into one result: latency percentiles over all samples, req/s, CPU ms per request
(:func:`merge_rounds`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.runner.accounting import CpuAccount, QuietGate, WaitSampler
from bench.runner.procs import run_step
from bench.runner.server import Database, Server
from bench.runner.settings import OPS, OUT, ROOT, Budget, Log, Settings


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
