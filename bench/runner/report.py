"""What a run reports: the per-scale runs assembled into ``bench/results.json``
(:func:`assemble`) with the machine's facts and the performance targets met or missed
(:func:`targets`), the table printed at the end (:func:`table`) and the same figures as
Markdown for docs/PERFORMANCE.md (:func:`markdown`).
"""

from __future__ import annotations

import os
import platform
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.runner.settings import OPS, Settings

NOISY_SHARE = 0.10  # other processes' share of the CPUs above which a phase is flagged
LATENCY_TARGET_OPS = ("case_read", "case_list", "case_transition")
TARGETS = {
    "case_transition_ratio": 0.6,
    "case_read_ratio": 0.8,
    "p95_ms_at_large": 50.0,
    "growth_max": 1.5,
    "verify_events_per_s": 1_000_000 / 3,
    "worker_rss_mb": 150.0,
}


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
