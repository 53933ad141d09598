"""No partial state after a drill, checked in SQL (:func:`consistency`): one history chain
per case and referral ending in its state, an audit event for every new history row and
note and a row for every such event, no lost update on the transition pool, no orphans, a
gap-free log, and every write acknowledged to a client present in the database.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from bench.drill_support.checks import Checks, Snapshot, uuid_text
from bench.drill_support.target import Target, transition_pool


def consistency(target: Target, before: Snapshot, checks: Checks,
                records: list[dict[str, Any]] | None = None, exact_transitions: bool = False
                ) -> dict[str, Any]:
    """No partial state, checked in SQL.

    - Every case and referral: its history is one chain (``create`` into the pathway's
      initial state, each row leaving the state the previous one entered) and the last
      ``to_state`` is the row's state.
    - Every history row written during the drill has its audit event (``case:create``,
      ``<type>:transition`` with ``trigger: from -> to``) and every such event its row; the
      same for notes (``note:create``).
    - The transition-pool cases: version = 1 + their transitions (no lost update).
    - No orphans: data keys and subjects without a case, history rows without their row,
      audit events beyond the head; the log is gap-free (1..head).
    - Every write acknowledged with 2xx to a client is in the database.
    """
    from sqlalchemy import text

    import workflows

    figures: dict[str, Any] = {}
    engine = target.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT object_type, object_id, trigger, from_state, to_state, at, id "
                "FROM transition_history WHERE object_type IN ('case', 'referral')")).all()
            objects: dict[tuple[str, str], tuple[str, str, int, int]] = {}
            for kind, table in (("case", "cases"), ("referral", "referrals")):
                for oid, state, pathway, pversion, version in conn.execute(text(
                        f"SELECT id, state, pathway, pathway_version, version FROM {table}")):  # noqa: S608 - fixed names
                    objects[(kind, uuid_text(oid))] = (state, pathway, pversion, version)
            head = int(conn.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one())
            n_events, lo, hi = conn.execute(text(
                "SELECT count(*), min(seq), max(seq) FROM audit_events")).one()
            events = conn.execute(text(
                "SELECT action, object_id, purpose FROM audit_events WHERE seq > :s AND "
                "outcome = 'allowed' AND action IN ('case:transition', 'referral:transition', "
                "'case:create', 'note:create')"), {"s": before.head_seq}).all()
            note_ids = {uuid_text(r[0]) for r in conn.execute(text("SELECT id FROM notes"))}
            orphan_keys = conn.execute(text(
                "SELECT count(*) FROM data_keys k WHERE NOT EXISTS (SELECT 1 FROM cases c "
                "WHERE c.data_key_id = k.id) AND NOT EXISTS (SELECT 1 FROM users u WHERE "
                "u.totp_data_key_id = k.id) AND NOT EXISTS (SELECT 1 FROM meetings m WHERE "
                "m.data_key_id = k.id)")).scalar_one()
            orphan_subjects = conn.execute(text(
                "SELECT count(*) FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM cases c "
                "WHERE c.subject_id = s.id)")).scalar_one()
    finally:
        engine.dispose()

    # 1. one history chain per case and referral, ending in the row's state
    by_object: dict[tuple[str, str], list[Any]] = {}
    for r in rows:
        by_object.setdefault((r[0], uuid_text(r[1])), []).append(r)
    broken: list[str] = []
    for key, (state, pathway, pversion, _v) in objects.items():
        hist = sorted(by_object.get(key, []), key=lambda r: (r[5], r[3] is not None))
        initial = workflows.get(pathway, pversion).initial
        if not hist:
            broken.append(f"{key[0]} {key[1]}: no history")
            continue
        if hist[0][3] is not None or hist[0][4] != initial:
            broken.append(f"{key[0]} {key[1]}: history does not start with the creation")
        for a, b in itertools.pairwise(hist):
            if b[3] != a[4]:
                broken.append(f"{key[0]} {key[1]}: {b[2]} leaves {b[3]}, but {a[2]} "
                              f"entered {a[4]}")
                break
        if hist[-1][4] != state:
            broken.append(f"{key[0]} {key[1]}: state {state}, last history row -> "
                          f"{hist[-1][4]}")
    orphan_history = [k for k in by_object if k not in objects]
    figures["objects_checked"] = len(objects)
    figures["history_rows"] = len(rows)
    checks.check("history chain ends in every row's state", not broken, broken[:5])
    checks.check("no history row without its case/referral", not orphan_history,
                 orphan_history[:5])

    # 2. every new history row has its audit event, and every such event its row
    new_rows = [r for r in rows if uuid_text(r[6]) not in before.history_ids]
    expected: Counter[tuple[str, str, str | None]] = Counter()
    for kind, oid, trigger, src, dst, _at, _id in new_rows:
        if trigger == "create":
            expected[(f"{kind}:create", uuid_text(oid), None)] += 1
        else:
            expected[(f"{kind}:transition", uuid_text(oid), f"{trigger}: {src} -> {dst}")] += 1
    seen: Counter[tuple[str, str, str | None]] = Counter()
    note_events: Counter[str] = Counter()
    for action, oid, purpose in events:
        if action == "note:create":
            note_events[uuid_text(oid)] += 1
        elif action == "case:create":
            seen[(action, uuid_text(oid), None)] += 1
        else:
            seen[(action, uuid_text(oid), purpose)] += 1
    missing_events = expected - seen
    orphan_events = seen - expected
    figures["new_history_rows"] = len(new_rows)
    figures["new_transition_rows"] = sum(1 for r in new_rows if r[2] != "create")
    figures["transition_events"] = sum(n for k, n in seen.items() if k[0].endswith("transition"))
    checks.check("every new history row has its audit event", not missing_events,
                 list(missing_events.items())[:5])
    checks.check("every transition/create event has its history row", not orphan_events,
                 list(orphan_events.items())[:5])
    new_notes = note_ids - before.note_ids
    figures["new_notes"] = len(new_notes)
    checks.check("every new note has its note:create event, every event its note",
                 Counter(dict.fromkeys(new_notes, 1)) == note_events,
                 f"{len(new_notes)} notes, {sum(note_events.values())} events")

    # 3. pool cases: version = 1 + transitions (no lost update, no extra bump)
    per_case = Counter(uuid_text(r[1]) for r in new_rows if r[0] == "case" and r[2] != "create")
    bad_versions = [cid for cid in transition_pool(target.plan)
                    if objects[("case", cid)][3] != 1 + per_case.get(cid, 0)]
    checks.check("pool cases: version = 1 + transitions", not bad_versions, bad_versions[:5])

    # 4. orphans and a gap-free log
    figures["audit_events"] = int(n_events)
    figures["audit_head"] = head
    checks.check("audit log gap-free (1..head)",
                 n_events == head and (head == 0 or (lo == 1 and hi == head)),
                 f"{n_events} events, seq {lo}..{hi}, head {head}")
    checks.check("no data key or subject without its case",
                 orphan_keys == 0 and orphan_subjects == 0,
                 f"{orphan_keys} keys, {orphan_subjects} subjects")

    # 5. acknowledged writes
    if records is not None:
        acked_notes = {r["id"] for r in records if r["op"] == "note_create"
                       and r["status"] == 201}
        acked_cases = {r["id"] for r in records if r["op"] == "case_create"
                       and r["status"] == 201}
        acked_transitions = Counter(r["case"] for r in records if r["op"] == "transition"
                                    and r["status"] == 200)
        lost_notes = acked_notes - note_ids
        lost_cases = {c for c in acked_cases if ("case", c) not in objects}
        lost_transitions = {c: n for c, n in acked_transitions.items()
                            if per_case.get(c, 0) < n}
        checks.check("every acknowledged write is in the database",
                     not (lost_notes or lost_cases or lost_transitions),
                     f"notes {sorted(lost_notes)[:3]}, cases {sorted(lost_cases)[:3]}, "
                     f"transitions {list(lost_transitions.items())[:3]}")
        figures["acknowledged_writes"] = (len(acked_notes) + len(acked_cases)
                                          + sum(acked_transitions.values()))
        # Requests that got no answer (or a 503) may still have committed: in doubt.
        figures["unacknowledged_but_committed"] = (
            len(new_notes - acked_notes)
            + len({c for k, c in objects if k == "case"} - before.case_ids - acked_cases)
            + sum(per_case.values()) - sum(acked_transitions.values()))
        if exact_transitions:
            checks.check("history rows = successful transitions",
                         sum(per_case.values()) == sum(acked_transitions.values())
                         and dict(per_case) == dict(acked_transitions),
                         f"{sum(per_case.values())} rows, "
                         f"{sum(acked_transitions.values())} 200s")
    return figures
