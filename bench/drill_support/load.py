"""The drills' load: client processes (``multiprocessing``, fork) each running a closed
loop of HTTP requests with bearer tokens against the app (:func:`client_main`, started and
collected by :class:`Load`), every exchange recorded with its start, end and answer; and
the answers counted by class (:func:`tally`).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import signal
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.drill_support.common import DrillError
from bench.drill_support.target import Target, transition_pool

PROBLEM = "application/problem+json"
HTTP_TIMEOUT = 30.0
SUSPEND_REASON = "drill: temporarily unreachable"


def http_call(url: str, method: str, path: str, token: str, body: Any = None
          ) -> tuple[int, str, bytes, str]:
    host_port = url.split("//", 1)[1]
    host, _, port = host_port.partition(":")
    if host not in {"127.0.0.1", "localhost"}:
        raise SystemExit("the drills talk to the loopback interface only")
    conn = http.client.HTTPConnection(host, int(port), timeout=HTTP_TIMEOUT)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", "") or "", resp.read(), ""
    except (OSError, http.client.HTTPException) as exc:
        return 0, "", b"", f"{type(exc).__name__}: {exc}"[:200]
    finally:
        conn.close()


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"_list": value}


OP_USER = {"transition": "owner", "note_create": "owner", "case_create": "owner",
           "case_read": "owner", "notes_read": "owner", "accept": "partner"}


def client_main(spec: dict[str, Any], out: str, stop: Any) -> None:
    """One client process: closed loop (send, wait for the answer, send the next) until
    ``count`` requests, ``stop`` or ``max_s``.  Every exchange is recorded with its
    start and end (``time.monotonic``, the same clock in every process on Linux)."""
    # Not the drill script's handlers (inherited by the fork): the script stops us itself.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rng = random.Random(spec["seed"])
    names = [op for op, _w in spec["ops"]]
    weights = [w for _op, w in spec["ops"]]
    tokens = spec["tokens"]
    urls = spec["urls"]
    known: dict[str, tuple[str, int]] = {}
    stale: set[str] = set()
    referrals = list(spec.get("referrals", []))
    records: list[dict[str, Any]] = []
    count = spec.get("count")
    deadline = time.monotonic() + spec.get("max_s", 600)
    serial = 0
    sent = 0

    def send(op: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any],
                                                                          dict[str, Any]]:
        url = rng.choice(urls)
        t0 = time.monotonic()
        status, ctype, data, err = http_call(url, method, path, tokens[OP_USER.get(op, "owner")],
                                         body)
        rec: dict[str, Any] = {"op": op, "t0": t0, "t1": time.monotonic(), "status": status,
                               "problem": ctype.startswith(PROBLEM), "url": url}
        if err:
            rec["error"] = err
        elif status >= 500:
            rec["body"] = data[:300].decode("utf-8", "replace")
        records.append(rec)
        return status, _json(data), rec

    while True:
        if count is not None and sent >= count:
            break
        if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
            break
        op = rng.choices(names, weights)[0]
        if op == "transition":
            cid = rng.choice(spec["transition_cases"])
            if cid in stale:
                status, data, _rec = send("refresh", "GET", f"/api/v1/cases/{cid}")
                if status == 200:
                    known[cid] = (data["state"], data["version"])
                    stale.discard(cid)
                continue
            state, version = known.get(cid, ("internal_follow_up", 1))
            body: dict[str, Any] = ({"trigger": "resume", "version": version}
                                    if state == "suspended" else
                                    {"trigger": "suspend", "version": version,
                                     "reason": SUSPEND_REASON})
            status, data, rec = send(op, "POST", f"/api/v1/cases/{cid}/transitions", body)
            rec.update(case=cid, trigger=body["trigger"], sent_version=version)
            if status == 200:
                known[cid] = (data["state"], data["version"])
                rec["version"] = data["version"]
            elif status == 409 and isinstance(data.get("current_version"), int):
                known[cid] = (data["state"], data["current_version"])
            else:
                stale.add(cid)
        elif op == "note_create":
            cid = rng.choice(spec["note_cases"])
            status, data, rec = send(op, "POST", f"/api/v1/cases/{cid}/notes",
                                     {"body": f"Drill note {spec['seed']}-{serial}.",
                                      "compartment": "internal"})
            if status == 201:
                rec["id"] = data["id"]
        elif op == "case_create":
            status, data, rec = send(op, "POST", "/api/v1/cases", {
                "livc_id": spec["livc_id"], "consent": "given",
                "identity": {"family_name": f"Drill{spec['seed']}x{serial}",
                             "given_names": "Test", "birth_date": "1990-01-01"}})
            if status == 201:
                rec["id"] = data["id"]
        elif op == "case_read":
            send(op, "GET", f"/api/v1/cases/{rng.choice(spec['note_cases'])}")
        elif op == "notes_read":
            status, data, rec = send(op, "GET",
                                     f"/api/v1/cases/{rng.choice(spec['note_cases'])}/notes")
            if status == 200:
                notes = data.get("_list", [])
                rec["bodies"] = len(notes)
                rec["unreadable"] = sum(1 for n in notes if not n.get("body"))
        elif op == "accept":
            if not referrals:
                send("case_read", "GET", f"/api/v1/cases/{rng.choice(spec['note_cases'])}")
            else:
                rid = referrals.pop()
                status, data, rec = send(op, "POST", f"/api/v1/referrals/{rid}/transitions",
                                         {"trigger": "accept", "version": 1})
                rec["referral"] = rid
        serial += 1
        sent += 1
        if spec.get("pause_s"):
            time.sleep(spec["pause_s"])
    Path(out).write_text(json.dumps(records))


class Load:
    """Client processes (``multiprocessing``, fork), each running :func:`client_main`."""

    def __init__(self, target: Target, urls: list[str], ops: Sequence[tuple[str, float]],
                 clients: int, *, count_per_client: int | None = None, max_s: float = 300,
                 transition_cases: list[str] | None = None, partition: bool = True,
                 referrals: list[str] | None = None, seed: int = 1,
                 pause_s: float = 0.0) -> None:
        self.ctx = multiprocessing.get_context("fork")
        self.stop_event = self.ctx.Event()
        self.files = [target.workdir / f"client-{seed}-{c}.json" for c in range(clients)]
        plan = target.plan
        pool = transition_cases if transition_cases is not None else transition_pool(plan)
        self.procs = []
        for c in range(clients):
            spec = {
                "seed": seed * 100 + c, "ops": ops, "urls": urls, "max_s": max_s,
                "count": count_per_client, "pause_s": pause_s,
                "tokens": {who: plan["users"][who]["token"] for who in ("owner", "partner")},
                "transition_cases": pool[c::clients] if partition else pool,
                "note_cases": plan["case_ids"], "livc_id": plan.get("livc_id"),
                "referrals": (referrals or [])[c::clients],
            }
            self.procs.append(self.ctx.Process(target=client_main,
                                               args=(spec, str(self.files[c]), self.stop_event),
                                               daemon=True))
        self.t_start = 0.0

    def start(self) -> Load:
        for f in self.files:
            f.unlink(missing_ok=True)
        self.t_start = time.monotonic()
        for p in self.procs:
            p.start()
        return self

    def finish(self, stop: bool = True, timeout: float = 600) -> list[dict[str, Any]]:
        if stop:
            self.stop_event.set()
        deadline = time.monotonic() + timeout
        for p in self.procs:
            p.join(timeout=max(1.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()
        records: list[dict[str, Any]] = []
        for f in self.files:
            if not f.exists():
                raise DrillError(f"a client process ended without its results ({f.name})")
            records.extend(json.loads(f.read_text()))
        records.sort(key=lambda r: r["t0"])
        return records


def tally(records: list[dict[str, Any]], ops: tuple[str, ...] | None = None
          ) -> dict[str, Any]:
    """Answers by class: 2xx, 409, 503, other 5xx, resets (no answer), other."""
    rows = [r for r in records if ops is None or r["op"] in ops]
    by_status = Counter(r["status"] for r in rows)
    out: dict[str, Any] = {
        "requests": len(rows),
        "2xx": sum(n for s, n in by_status.items() if 200 <= s < 300),
        "409": by_status.get(409, 0),
        "503": by_status.get(503, 0),
        "5xx_other": sum(n for s, n in by_status.items() if s >= 500 and s != 503),
        "reset": by_status.get(0, 0),
    }
    out["other"] = out["requests"] - sum(out[k] for k in ("2xx", "409", "503", "5xx_other",
                                                          "reset"))
    out["by_status"] = {str(k): v for k, v in sorted(by_status.items())}
    out["by_op"] = {op: dict(sorted(Counter(str(r["status"]) for r in rows
                                            if r["op"] == op).items()))
                    for op in sorted({r["op"] for r in rows})}
    if rows:
        span = max(r["t1"] for r in rows) - min(r["t0"] for r in rows)
        out["seconds"] = round(span, 2)
        out["req_per_s"] = round(len(rows) / span, 1) if span > 0 else None
    return out
