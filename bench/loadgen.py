"""Closed-loop HTTP load generator for one operation (loopback only, bounded in time).

    python bench/loadgen.py --url http://127.0.0.1:8123 --plan bench/out/plan.json \
        --op case_read --warmup 2 --duration 10 --concurrency 4 --out result.json

Each of ``--concurrency`` threads sends one request, waits for the answer, and sends the
next, for ``--warmup`` seconds (not counted) and then ``--duration`` seconds (counted).
Only answers with the operation's expected status count as successes; anything else is
tallied by status.  Latency is measured around the whole exchange (connect, send, read),
with ``time.perf_counter``.

Why Python and not wrk/hey: no extra toolchain on the machine, and most operations need a
body that depends on the previous answer (a transition needs the case's current version;
an accept consumes a referral once), partitioned per client so the clients never
conflict.  The generator's own cost (~0.2 ms of CPU per request) is small against the
server's and is reported as ``client_cpu_s``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

NOTE_BODY = ("Telefonisch contact met betrokkene; afspraak bevestigd voor volgende week. "
             "Geen nieuwe signalen.")

# operation -> (user in the plan, expected status)
OPERATIONS: dict[str, tuple[str, int]] = {
    "insert_baseline": ("owner", 201),
    "case_read": ("owner", 200),
    "case_list": ("owner", 200),
    "note_create": ("owner", 201),
    "case_transition": ("owner", 200),
    "referral_accept": ("partner", 200),
    "audit_search": ("auditor", 200),
    "access_log": ("owner", 200),
}


class Exhausted(Exception):
    """This client has used up its share of one-shot resources (offered referrals)."""


class Operation:
    """Builds each client's next request; learns from the answer when it must."""

    def __init__(self, op: str, plan: dict[str, Any], clients: int, seed: int,
                 state: dict[str, Any] | None = None) -> None:
        self.op = op
        self.plan = plan
        state = state or {}
        self.rngs = [random.Random(seed * 1000 + c) for c in range(clients)]
        cases = plan["case_ids"]
        self.cases = cases
        if op == "case_transition":
            ids = plan["transition_case_ids"]
            if len(ids) < clients:
                raise SystemExit(f"need at least {clients} transition cases, have {len(ids)}")
            # Each client owns its cases: no two clients ever touch the same one.
            known = state.get("cases", {})
            self.mine: list[list[dict[str, Any]]] = [
                [{"id": i, **known.get(i, {"state": "internal_follow_up", "version": 1})}
                 for i in ids[c::clients]]
                for c in range(clients)]
            self.turn = [0] * clients
            self.current: list[dict[str, Any] | None] = [None] * clients
        if op == "referral_accept":
            used = set(state.get("accepted", []))
            ids = [i for i in plan["offered_referral_ids"] if i not in used]
            self.queues = [list(ids[c::clients]) for c in range(clients)]
            self.used = sorted(used)

    def next(self, c: int) -> tuple[str, str, dict[str, Any] | None]:
        rng = self.rngs[c]
        op = self.op
        if op == "insert_baseline":
            return "POST", "/bench/insert", None
        if op == "case_read":
            return "GET", f"/api/v1/cases/{rng.choice(self.cases)}", None
        if op == "case_list":
            return "GET", "/api/v1/cases?per_page=50", None
        if op == "note_create":
            return ("POST", f"/api/v1/cases/{rng.choice(self.cases)}/notes",
                    {"body": NOTE_BODY, "compartment": "internal"})
        if op == "case_transition":
            mine = self.mine[c]
            case = mine[self.turn[c] % len(mine)]
            self.turn[c] += 1
            self.current[c] = case
            if case["state"] == "suspended":
                body: dict[str, Any] = {"trigger": "resume", "version": case["version"]}
            else:
                body = {"trigger": "suspend", "version": case["version"],
                        "reason": "bench: temporarily unreachable"}
            return "POST", f"/api/v1/cases/{case['id']}/transitions", body
        if op == "referral_accept":
            if not self.queues[c]:
                raise Exhausted
            rid = self.queues[c].pop()
            self.used.append(rid)
            return "POST", f"/api/v1/referrals/{rid}/transitions", {"trigger": "accept",
                                                                     "version": 1}
        if op == "audit_search":
            return "GET", f"/api/v1/audit/events?case_id={rng.choice(self.cases)}", None
        if op == "access_log":
            return "GET", f"/api/v1/cases/{rng.choice(self.cases)}/access-log", None
        raise SystemExit(f"unknown operation {op}")

    def state(self) -> dict[str, Any]:
        """What the next run of this operation must know (one-shot resources, versions)."""
        if self.op == "case_transition":
            return {"cases": {case["id"]: {"state": case["state"], "version": case["version"]}
                              for mine in self.mine for case in mine}}
        if self.op == "referral_accept":
            return {"accepted": self.used}
        return {}

    def answered(self, c: int, status: int, body: bytes) -> None:
        if self.op != "case_transition":
            return
        case = self.current[c]
        if case is None or status not in (200, 409):
            return
        try:
            data = json.loads(body)
        except ValueError:
            return
        version = data.get("version", data.get("current_version"))
        if isinstance(version, int) and isinstance(data.get("state"), str):
            case["version"], case["state"] = version, data["state"]


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def run(url: str, plan: dict[str, Any], op: str, warmup: float, duration: float,
        concurrency: int, seed: int = 1, state: dict[str, Any] | None = None
        ) -> tuple[dict[str, Any], list[float], dict[str, Any]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("the load generator talks to the loopback interface only")
    who, expected = OPERATIONS[op]
    token = plan["users"][who]["token"]
    operation = Operation(op, plan, concurrency, seed, state)
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + duration
    samples: list[list[float]] = [[] for _ in range(concurrency)]
    finished_at: list[float] = [0.0] * concurrency
    statuses: list[Counter[int]] = [Counter() for _ in range(concurrency)]
    warm_counts = [0] * concurrency
    failures: list[str] = []

    def client(c: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    break
                try:
                    method, path, body = operation.next(c)
                except Exhausted:
                    break
                payload = None if body is None else json.dumps(body).encode()
                h = dict(headers)
                if payload is not None:
                    h["Content-Type"] = "application/json"
                t0 = time.perf_counter()
                try:
                    conn.request(method, path, body=payload, headers=h)
                    resp = conn.getresponse()
                    data = resp.read()
                    status = resp.status
                    if resp.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, data = 0, b""
                    if len(failures) < 5:
                        failures.append(f"{type(exc).__name__}: {exc}")
                t1 = time.perf_counter()
                operation.answered(c, status, data)
                if t0 >= measure_from and t1 <= stop_at:
                    statuses[c][status] += 1
                    if status == expected:
                        samples[c].append(t1 - t0)
                    finished_at[c] = t1
                elif t0 < measure_from:
                    warm_counts[c] += 1
                if status != expected and len(failures) < 5:
                    failures.append(f"{status} {method} {path}: {data[:200]!r}")
        finally:
            conn.close()

    cpu0 = time.process_time()
    threads = [threading.Thread(target=client, args=(c,), daemon=True)
               for c in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=warmup + duration + 120)
    cpu = time.process_time() - cpu0
    latencies = sorted(x for per in samples for x in per)
    status_total: Counter[int] = Counter()
    for counter in statuses:
        status_total.update(counter)
    # A pool of one-shot resources may run dry before the end: count the window actually used.
    window_end = min(stop_at, max(finished_at) if any(finished_at) else stop_at)
    window = max(window_end - measure_from, 1e-9)
    ok = len(latencies)
    total = sum(status_total.values())
    ms = [x * 1000 for x in latencies]
    return ({
        "op": op,
        "concurrency": concurrency,
        "warmup_s": warmup,
        "window_s": round(window, 3),
        "requests": total,
        "ok": ok,
        "errors": {str(k): v for k, v in status_total.items() if k != expected},
        "error_rate": round((total - ok) / total, 4) if total else None,
        "rps": round(ok / window, 1) if ok else 0.0,
        "p50_ms": round(_percentile(ms, 50), 2) if ok else None,
        "p95_ms": round(_percentile(ms, 95), 2) if ok else None,
        "p99_ms": round(_percentile(ms, 99), 2) if ok else None,
        "mean_ms": round(sum(ms) / ok, 2) if ok else None,
        "max_ms": round(ms[-1], 2) if ok else None,
        "warmup_requests": sum(warm_counts),
        "client_cpu_s": round(cpu, 2),
        "sample_failures": failures,
    }, ms, operation.state())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--plan", type=Path, required=True)
    p.add_argument("--op", choices=sorted(OPERATIONS), required=True)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path)
    p.add_argument("--samples", type=Path, help="write every counted latency (ms) here")
    p.add_argument("--state", type=Path,
                   help="read and update what consecutive runs must share (case versions, "
                        "referrals already accepted)")
    args = p.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    state = json.loads(args.state.read_text()) if args.state and args.state.exists() else None
    result, samples, new_state = run(args.url, plan, args.op, args.warmup, args.duration,
                                     args.concurrency, args.seed, state)
    text = json.dumps(result)
    if args.out:
        args.out.write_text(text)
    if args.samples:
        args.samples.write_text(json.dumps([round(x, 3) for x in samples]))
    if args.state:
        args.state.write_text(json.dumps(new_state))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
