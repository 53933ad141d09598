"""Drill 5, ``instances_jobs``: two gunicorn instances on one database with load on both,
and two ``flask jobs run`` started together, twice, while the partner accepts the
referrals the job is about to expire: every expiry, review reminder and purge happens
exactly once.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.drill_support.checks import Checks, snapshot, uuid_text, verify_audit
from bench.drill_support.common import ROOT, VENV_BIN
from bench.drill_support.consistency import consistency
from bench.drill_support.load import Load, tally
from bench.drill_support.servers import servers
from bench.drill_support.target import Target


def _arrange_jobs(target: Target, *, expire: int, purge: int) -> dict[str, Any]:
    """Make work for the jobs: ``expire`` offered referrals past their deadline,
    ``purge`` closed cases past retention (review reminders fall due by themselves: the
    seeded guidance/aftercare cases have reviews due within the past year)."""
    from sqlalchemy import select, update

    from referral.cases.models import Case
    from referral.cases.referrals.models import Referral

    now = datetime.now(UTC)
    engine = target.engine()
    try:
        with engine.begin() as conn:
            to_expire = list(conn.scalars(select(Referral.id).where(
                Referral._state == "offered").order_by(Referral.id).limit(expire)))
            to_purge = list(conn.scalars(select(Case.id).where(
                Case._state == "closed").order_by(Case.id).limit(purge)))
            conn.execute(update(Referral).where(Referral.id.in_(to_expire))
                         .values(expires_at=now - timedelta(days=30)))
            conn.execute(update(Case).where(Case.id.in_(to_purge))
                         .values(retention_until=(now - timedelta(days=30)).date()))
            due = list(conn.scalars(select(Case.id).where(
                Case._state.in_(("guidance", "aftercare")),
                Case.next_review_due <= now.date())))
    finally:
        engine.dispose()
    return {"to_expire": [str(i) for i in to_expire], "to_purge": [str(i) for i in to_purge],
            "review_due": [str(i) for i in due]}


def drill_instances_jobs(target: Target, *, instances: int = 2, workers: int = 2,
                         clients: int = 4, expire: int = 100, purge: int = 50,
                         rounds: int = 2, accept_s: float = 8.0, cli_verify: bool = True,
                         preload: bool = False) -> dict[str, Any]:
    """Two app instances on one database with load on both, and two ``flask jobs run``
    started together, ``rounds`` times.  During the first round the partner organisation
    accepts the referrals the job is about to expire, paced over ``accept_s`` seconds from
    the runners' start: some are accepted before the expiry job runs, the rest answer 409
    (expired first), a few wait on the job's row locks: a race between requests and the
    job.  Each referral must leave 'offered' exactly once."""
    from sqlalchemy import text

    checks = Checks()
    work = _arrange_jobs(target, expire=expire, purge=purge)
    before = snapshot(target)
    runs: list[dict[str, Any]] = []
    accept_records: list[dict[str, Any]] = []
    with servers(target, instances, workers, preload) as srvs:
        urls = [s.url for s in srvs]
        load = Load(target, urls, [("case_read", 1), ("transition", 1)], clients, max_s=300,
                    seed=41, pause_s=0.02).start()
        time.sleep(0.5)
        for rnd in range(1, rounds + 1):
            cmd = [str(VENV_BIN / "flask"), "--app", "bench.wsgi", "jobs", "run"]
            t0 = time.monotonic()
            procs = [subprocess.Popen(cmd, env=target.env, cwd=ROOT, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
            accepts = None
            if rnd == 1 and work["to_expire"]:
                n = len(work["to_expire"])
                accepts = Load(target, urls, [("accept", 1)], 2,
                               count_per_client=(n + 1) // 2, referrals=work["to_expire"],
                               seed=43, pause_s=max(0.0, accept_s * 2 / n - 0.03)).start()
            outs = [p.communicate(timeout=300) for p in procs]
            runs.append({"round": rnd, "seconds": round(time.monotonic() - t0, 2),
                         "exit_codes": [p.returncode for p in procs],
                         "output": [o[0].strip().splitlines() for o in outs]})
            for p, (_out, err) in zip(procs, outs, strict=True):
                checks.check(f"round {rnd}: jobs run exits 0", p.returncode == 0, err[-300:])
            if accepts is not None:
                accept_records = accepts.finish(stop=False)
        time.sleep(0.5)
        records = load.finish() + accept_records
    t = tally(records)
    checks.check("every request answered 2xx or 409 (409: the referral expired first)",
                 t["2xx"] + t["409"] == t["requests"], t["by_status"])
    engine = target.engine()
    try:
        with engine.connect() as conn:
            hist = Counter((uuid_text(r[0]), r[1]) for r in conn.execute(text(
                "SELECT object_id, trigger FROM transition_history WHERE "
                "object_type = 'referral' AND from_state = 'offered'")))
            states = {uuid_text(r[0]): r[1] for r in conn.execute(text(
                "SELECT id, state FROM referrals"))}
            expire_events = Counter(uuid_text(r[0]) for r in conn.execute(text(
                "SELECT object_id FROM audit_events WHERE action = 'referral:transition' "
                "AND purpose = 'expire: offered -> expired' AND seq > :s"),
                {"s": before.head_seq}))
            purge_events = Counter(uuid_text(r[0]) for r in conn.execute(text(
                "SELECT object_id FROM audit_events WHERE action = 'case:purge' AND seq > :s"),
                {"s": before.head_seq}))
            purged = {uuid_text(r[0]) for r in conn.execute(text(
                "SELECT id FROM cases WHERE purged_at IS NOT NULL"))}
            notes = conn.execute(text(
                "SELECT user_id, kind, link, message, count(*) FROM notifications "
                "WHERE kind IN ('review_due', 'screening_overdue', 'referral_expired') "
                "GROUP BY user_id, kind, link, message")).all()
            job_runs = Counter((r[0], r[1]) for r in conn.execute(text(
                "SELECT object_id, outcome FROM audit_events WHERE action = 'job:run' "
                "AND seq > :s"), {"s": before.head_seq}))
    finally:
        engine.dispose()
    to_expire = set(work["to_expire"])
    left_offered = sum(1 for r in to_expire if states[r] == "offered")
    expired = [r for r in to_expire if states[r] == "expired"]
    accepted = [r for r in to_expire if states[r] == "accepted"]
    checks.check("every referral past its deadline left 'offered' exactly once",
                 left_offered == 0 and all(sum(n for (oid, _t), n in hist.items()
                                               if oid == r) == 1 for r in to_expire),
                 f"{left_offered} still offered")
    checks.check("each expiry once: one history row, one audit event per expired referral",
                 all(hist[(r, "expire")] == 1 and expire_events[r] == 1 for r in expired)
                 and set(expire_events) <= to_expire,
                 {r: (hist[(r, "expire")], expire_events[r]) for r in expired
                  if hist[(r, "expire")] != 1 or expire_events[r] != 1})
    others_expired = [oid for (oid, trig) in hist if trig == "expire" and oid not in to_expire]
    checks.check("no referral within its deadline expired", not others_expired,
                 others_expired[:3])
    dup_notes = [(str(u), k, link, n) for u, k, link, _m, n in notes if n != 1]
    checks.check("each notification once (per user, kind, link, message)", not dup_notes,
                 dup_notes[:3])
    review_links = {link for _u, k, link, _m, _n in notes if k == "review_due"}
    reminded = {link.split("/")[-1].split("?")[0] for link in review_links}
    checks.check("every due review reminded", set(work["review_due"]) <= reminded,
                 f"{len(set(work['review_due']) - reminded)} missing")
    checks.check("each purge once: purged, one case:purge event",
                 set(work["to_purge"]) <= purged and all(
                     purge_events[c] == 1 for c in work["to_purge"])
                 and set(purge_events) == set(work["to_purge"]),
                 f"{len(set(work['to_purge']) - purged)} not purged, events "
                 f"{sum(purge_events.values())}")
    job_table = {f"{name} {outcome}": n for (name, outcome), n in sorted(job_runs.items())}
    checks.check("no job failed", not any(o != "allowed" for (_n, o) in job_runs), job_table)
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify)
    skipped = sum(1 for r in runs for out in r["output"] for line in out if "skipped" in line)
    return {"answers": t, "instances": instances, "runners_per_round": 2, "rounds": rounds,
            "runs": runs, "job_runs_audited": job_table, "job_skips_seen": skipped,
            "referrals_past_deadline": len(to_expire), "expired_by_job": len(expired),
            "accepted_first_by_partner": len(accepted),
            "accepts": tally(accept_records),
            "review_due_cases": len(work["review_due"]),
            "review_notifications": sum(n for _u, k, _l, _m, n in notes if k == "review_due"),
            "screening_notifications": sum(n for _u, k, _l, _m, n in notes
                                           if k == "screening_overdue"),
            "purged": len(set(work["to_purge"]) & purged), "purge_events": sum(
                purge_events.values()), "database": figures, "verify": verify,
            "checks": checks}
