"""Drill 6, ``key_rotation``: the runbook of docs/OPERATIONS.md under load: the new master
key added and made active, ``flask keys rotate`` while requests run, then the old key
removed; no failed request, nothing left under the old key, every value decrypts with the
new key alone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bench.drill_support.checks import Checks, decrypt_all, snapshot, verify_audit
from bench.drill_support.consistency import consistency
from bench.drill_support.load import Load, tally
from bench.drill_support.servers import servers
from bench.drill_support.target import Target


def _wall(value: Any) -> float:
    """A database timestamp as a Unix time (SQLite hands back naive UTC text)."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def drill_key_rotation(target: Target, *, clients: int = 4, workers: int = 2,
                       lead_s: float = 1.5, tail_s: float = 1.5, batch_size: int = 100,
                       cli_verify: bool = True, preload: bool = False,
                       restart_check: bool = True) -> dict[str, Any]:
    """The runbook of docs/OPERATIONS.md: the new master key added and made active, the
    instances restarted with it, ``flask keys rotate`` while requests run, then the old
    key removed: every request succeeded and every value opens with the new key alone."""
    import base64
    import secrets as pysecrets

    checks = Checks()
    before = snapshot(target)
    old = target.env["REFERRAL_MASTER_KEYS"]
    old_id = old.split(":", 1)[0]
    new_id = "rot2"
    new = f"{new_id}:{base64.urlsafe_b64encode(pysecrets.token_bytes(32)).decode()}"
    both = {**target.env, "REFERRAL_MASTER_KEYS": f"{old},{new}",
            "REFERRAL_ACTIVE_MASTER_KEY": new_id}
    ops = [("notes_read", 3), ("note_create", 2), ("case_create", 1), ("case_read", 1)]
    with servers(target, 1, workers, preload, env=both) as (server,):
        load = Load(target, [server.url], ops, clients, max_s=600, seed=53).start()
        time.sleep(lead_s)
        t0 = time.monotonic()
        rot = target.flask("keys", "rotate", "--batch-size", str(batch_size), env=both,
                           check=False)
        rotate_s = time.monotonic() - t0
        time.sleep(tail_s)
        records = load.finish()
    t = tally(records)
    during = [r for r in records if r["t1"] >= t0 and r["t0"] <= t0 + rotate_s]
    # The re-wrapping itself (the process's start-up excluded): from the first batch's
    # commit to the last one's, from their keys:rotate events (wall clock -> monotonic).
    from sqlalchemy import text

    engine = target.engine()
    try:
        with engine.connect() as conn:
            batch_times = [r[0] for r in conn.execute(text(
                "SELECT at FROM audit_events WHERE action = 'keys:rotate' AND seq > :s "
                "ORDER BY seq"), {"s": before.head_seq})]
    finally:
        engine.dispose()
    shift = time.time() - time.monotonic()
    stamps = [_wall(b) - shift for b in batch_times]
    rewrap = [r for r in records if stamps and r["t1"] >= stamps[0] and r["t0"] <= stamps[-1]]
    checks.check("keys rotate exits 0", rot.returncode == 0, rot.stderr[-300:])
    checks.check("no failed request", t["2xx"] == t["requests"], t["by_status"])
    checks.check("requests ran during the rotation", len(during) > 0, 0)
    unreadable = sum(r.get("unreadable", 0) for r in records)
    checks.check("every note read had its body", unreadable == 0, unreadable)
    status_new_only = None
    if restart_check:  # what the operator looks at before removing the old key
        status_new_only = target.flask("keys", "status", env={
            **target.env, "REFERRAL_MASTER_KEYS": new, "REFERRAL_ACTIVE_MASTER_KEY": new_id},
            check=False).stdout.strip().splitlines()
    decrypted = decrypt_all(target.url, new, new_id)
    checks.check("nothing left under the old master key",
                 set(decrypted["data_keys_by_master"]) == {new_id},
                 decrypted["data_keys_by_master"])
    checks.check("every value decrypts with the new master key alone",
                 decrypted["failed"] == 0 and decrypted["opened_total"] > 0,
                 decrypted["failures"])
    served_new_only = None
    if restart_check:  # the last step: the old key removed from the instances
        only_new = {**target.env, "REFERRAL_MASTER_KEYS": new,
                    "REFERRAL_ACTIVE_MASTER_KEY": new_id}
        with servers(target, 1, 1, preload, env=only_new) as (srv,):
            recs = Load(target, [srv.url], [("notes_read", 1)], 1, count_per_client=20,
                        seed=59).start().finish(stop=False)
        served_new_only = tally(recs)
        checks.check("the app serves with the new key alone (notes decrypt)",
                     served_new_only["2xx"] == 20 and not any(r.get("unreadable")
                                                              for r in recs),
                     served_new_only["by_status"])
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify, env=both)
    rotated = [line for line in rot.stdout.splitlines() if line.startswith("done")]
    return {"answers": t, "requests_during_rotation": len(during),
            "rotation_batches": len(stamps), "rewrap_window_s": round(
                stamps[-1] - stamps[0], 2) if stamps else None,
            "requests_between_first_and_last_batch": len(rewrap),
            "rotate_s": round(rotate_s, 2), "rotate_output": rotated[0] if rotated else
            rot.stdout[-200:], "old_key": old_id, "new_key": new_id,
            "keys_status_new_only": status_new_only,
            "decrypted": decrypted, "served_with_new_key_only": served_new_only,
            "database": figures, "verify": verify, "checks": checks}
