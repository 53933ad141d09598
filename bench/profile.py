"""Where the time of each benchmarked operation goes, in process (no HTTP, no gunicorn).

    REFERRAL_DATABASE_URL=... REFERRAL_BENCH=1 ... \
        python bench/profile.py --plan bench/out/plan-postgresql-large.json --requests 40

For each operation: the SQL statements per request (counted on the engine), the time spent
in the database driver versus in Python, and a pyinstrument profile of the requests
(text, written to ``bench/out/profile-<db>-<scale>-<op>.txt``).  Transitions and accepts use
the ids the seeder set aside for profiling (``plan["profile"]``), never the load
generator's.  Runs with the same configuration (environment) as the server.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OPS = ("insert_baseline", "case_read", "case_list", "note_create", "case_transition",
       "referral_accept", "audit_search")
NOTE_BODY = "Telefonisch contact; afspraak bevestigd voor volgende week. Geen nieuwe signalen."


def _requests(op: str, plan: dict[str, Any], n: int, rng: random.Random
              ) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    cases = plan["case_ids"]
    reserve = plan["profile"]
    out: list[tuple[str, str, str, dict[str, Any] | None]] = []
    if op == "case_transition":
        ids = reserve["transition_case_ids"]
        for k in range(n):
            cid = ids[(k // 2) % len(ids)] if ids else None
            if cid is None:
                break
            out.append(("owner", "POST", f"/api/v1/cases/{cid}/transitions",
                        {"trigger": "suspend", "reason": "profile"} if k % 2 == 0 else
                        {"trigger": "resume"}))
        return out
    if op == "referral_accept":
        return [("partner", "POST", f"/api/v1/referrals/{rid}/transitions",
                 {"trigger": "accept", "version": 1})
                for rid in reserve["offered_referral_ids"][:n]]
    for _ in range(n):
        cid = rng.choice(cases)
        out.append({
            "insert_baseline": ("owner", "POST", "/bench/insert", None),
            "case_read": ("owner", "GET", f"/api/v1/cases/{cid}", None),
            "case_list": ("owner", "GET", "/api/v1/cases?per_page=50", None),
            "note_create": ("owner", "POST", f"/api/v1/cases/{cid}/notes",
                            {"body": NOTE_BODY, "compartment": "internal"}),
            "audit_search": ("auditor", "GET", f"/api/v1/audit/events?case_id={cid}", None),
        }[op])
    return out


# Prototypes of proposed fixes, applied before measuring (``--experiment NAME``).  The audit
# append through Core was one; it is in the app now (referral/audit/chain.py).
EXPERIMENTS: dict[str, Callable[[], None]] = {}


class _Sender:
    """Sends one request; for transitions, remembers each case's version."""

    def __init__(self, client: Any, tokens: dict[str, str], op: str) -> None:
        self.client, self.tokens, self.op = client, tokens, op
        self.versions: dict[str, int] = {}

    def __call__(self, who: str, method: str, path: str, body: dict[str, Any] | None) -> int:
        if self.op == "case_transition" and body is not None and path in self.versions:
            body = {**body, "version": self.versions[path]}
        r = self.client.open(path, method=method, json=body,
                             headers={"Authorization": f"Bearer {self.tokens[who]}"})
        if self.op == "case_transition" and r.is_json:
            data = r.get_json()
            v = data.get("version", data.get("current_version"))
            if isinstance(v, int):
                self.versions[path] = v
        return int(r.status_code)


def explain(engine: Any, captured: list[tuple[float, str, Any]], top: int = 3) -> str:
    """The statements of one request, slowest first, and the plans of the slowest SELECTs."""
    shapes: dict[str, list[float]] = {}
    for took, statement, _params in captured:
        shapes.setdefault(" ".join(statement.split())[:120], []).append(took)
    lines = [f"statements of one request ({len(captured)}), by shape, slowest first:"]
    for shape, times in sorted(shapes.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"  {sum(times) * 1000:8.2f} ms  x{len(times):<4} {shape}")
    selects = [c for c in sorted(captured, key=lambda c: -c[0])
               if c[1].lstrip().upper().startswith("SELECT")][:top]
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for took, statement, params in selects:
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            lines.append("")
            lines.append(f"-- {took * 1000:.2f} ms: {' '.join(statement.split())[:2000]}")
            try:
                for row in conn.exec_driver_sql(prefix + statement, params):
                    lines.append("   " + " | ".join(str(v) for v in row))
            except Exception as exc:  # a plan is a diagnostic, not a result
                lines.append(f"   (no plan: {type(exc).__name__}: {exc})")
        conn.rollback()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from pyinstrument import Profiler
    from sqlalchemy import event

    from referral import create_app

    p = argparse.ArgumentParser()
    p.add_argument("--plan", type=Path, required=True)
    p.add_argument("--requests", type=int, default=46)
    p.add_argument("--ops", default=",".join(OPS))
    p.add_argument("--label", default="")
    p.add_argument("--outdir", type=Path, default=Path("bench/out"))
    p.add_argument("--out", type=Path, help="summary JSON")
    p.add_argument("--experiment", choices=sorted(EXPERIMENTS), action="append", default=[],
                   help="apply a prototype of a proposed fix before measuring")
    p.add_argument("--explain", action="store_true",
                   help="EXPLAIN (ANALYZE) the slowest SELECTs of one more request per op")
    args = p.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    for name in args.experiment:
        EXPERIMENTS[name]()
    app = create_app()
    if not app.config.get("BENCH"):
        raise SystemExit("run with REFERRAL_BENCH=1 (the /bench/insert endpoint)")
    engine = app.extensions["referral.db"].engine
    counter = {"statements": 0, "db_s": 0.0}
    started: list[float] = []
    captured: list[tuple[float, str, Any]] = []
    capture = {"on": False}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(*_a: Any) -> None:
        counter["statements"] += 1
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        if started:
            took = time.perf_counter() - started.pop()
            counter["db_s"] += took
            if capture["on"]:
                captured.append((took, statement, parameters))

    client = app.test_client()
    tokens = {who: u["token"] for who, u in plan["users"].items()}
    rng = random.Random(7)
    summary: dict[str, Any] = {}
    label = args.label or f"{plan['database']}"
    for op in args.ops.split(","):
        reqs = _requests(op, plan, args.requests, rng)
        if not reqs:
            continue
        send = _Sender(client, tokens, op)
        # One request outside the measurement: imports, caches and connections warm up.
        send(*reqs[0])
        # Two thirds timed without the profiler (wall and CPU time of this process: the CPU
        # time is what other load on the machine disturbs least), one third profiled.
        cut = 1 + (len(reqs) - 1) * 2 // 3
        timed, profiled = reqs[1:cut], reqs[cut:]
        counter["statements"], counter["db_s"] = 0, 0.0
        statuses: dict[int, int] = {}
        t0, c0 = time.perf_counter(), time.process_time()
        for req in timed:
            code = send(*req)
            statuses[code] = statuses.get(code, 0) + 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = max(len(timed), 1)
        db_s, statements = counter["db_s"], counter["statements"]
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for req in profiled:
            code = send(*req)
            statuses[code] = statuses.get(code, 0) + 1
        profiler.stop()
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        if args.explain and len(reqs) > 1:
            captured.clear()
            capture["on"] = True
            send(*reqs[-1])
            capture["on"] = False
            text += "\n\n" + explain(engine, captured)
        args.outdir.mkdir(parents=True, exist_ok=True)
        path = args.outdir / f"profile-{label}-{op}.txt"
        path.write_text(text)
        summary[op] = {
            "requests": n, "statuses": statuses,
            "ms_per_request": round(wall / n * 1000, 2),
            "cpu_ms_per_request": round(cpu / n * 1000, 2),
            "db_ms_per_request": round(db_s / n * 1000, 2),
            "statements_per_request": round(statements / n, 1),
            "profile": str(path),
        }
        print(f"{op:16} {summary[op]['ms_per_request']:8.2f} ms/request, "
              f"{summary[op]['cpu_ms_per_request']:.2f} ms CPU here, "
              f"{summary[op]['db_ms_per_request']:.2f} ms in the driver, "
              f"{summary[op]['statements_per_request']:.1f} statements {statuses}")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
