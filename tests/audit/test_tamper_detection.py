"""Tampering behind the application's back is found, and named by its first bad seq.

The attacker here has the database owner's rights: they switch the append-only
triggers off, then change, delete, insert, reorder or truncate rows.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update

from referral.audit import verify
from referral.audit.models import AuditCheckpoint
from referral.core.ledger import chain
from referral.core.ledger.chain import chain_hash
from referral.core.ledger.models import AuditEvent
from tests.audit.chain_support import (
    checkpoint,
    db,
    events,
    expect_fail,
    rechain,
    record,
    set_event,
    set_head,
    tamper,
    verify_app,
)

WORKERS = pytest.mark.parametrize("workers", [1, 3], ids=["one-stream", "three-ranges"])


# -- an intact chain ----------------------------------------------------------------------------


@WORKERS
def test_an_intact_chain_verifies(app, workers):
    assert verify_app(app, workers=workers) == verify.VerifyResult(True, 0, None, None, 0)
    record(app, 7)
    checkpoint(app)
    record(app, 3)
    result = verify_app(app, workers=workers)
    assert (result.ok, result.checked, result.head_seq) == (True, 11, 11)
    partial = verify_app(app, from_seq=6, workers=workers)
    assert (partial.ok, partial.checked) == (True, 6)


def test_logins_through_the_api_verify(world, app):
    world.user("cato", "CAW Gent", ["reference_person"])
    for _ in range(3):
        world.login("cato")
    assert verify_app(app).checked == 3


TRICKY = ["", "-", "|", "1:|2:x", "plain", "émile — ça va? ✓", "tab\there", "new\nline",
          "quote ' \" back\\slash", "four bytes \U0001f600", "=1+1", " leading space", "x" * 500]


@WORKERS
@pytest.mark.parametrize("utf8_server", [True, False], ids=["utf8", "other-encoding"])
def test_the_fast_rendering_is_the_canonical_form(app, monkeypatch, workers, utf8_server):
    """Odd values hash the same in SQL and in chain.canonical: no fall-back needed."""
    import uuid

    if not utf8_server:  # count bytes with convert_to, as on a non-UTF-8 PostgreSQL
        monkeypatch.setattr(verify, "_utf8", lambda conn: False)
    for i, value in enumerate(TRICKY):
        with db(app).sessionmaker() as s:
            chain.record(s, None, "test:tricky", object_type=value[:40] or None,
                         object_id=value[:64], purpose=value, rule=value[:80] or None,
                         case_id=uuid.uuid4() if i % 2 else None,
                         outcome="denied" if i % 3 else "allowed")
            s.commit()
    consulted: list[int] = []
    real = verify._authoritative

    def counting(conn: Any) -> Any:
        check = real(conn)

        def hash_ok(seq: int, prev: bytes, digest: bytes) -> bool:
            consulted.append(seq)
            return check(seq, prev, digest)

        return hash_ok

    monkeypatch.setattr(verify, "_authoritative", counting)
    assert verify_app(app, workers=workers).ok
    assert consulted == []


@WORKERS
def test_chain_hash_decides_when_the_sql_rendering_disagrees(app, monkeypatch, workers):
    record(app, 6)
    real = {"sqlite": verify._sqlite_canonical, "postgresql": verify._postgresql_canonical}
    # Renderings that never match: every row must be settled by chain_hash.
    monkeypatch.setattr(verify, "_sqlite_canonical",
                        lambda: f"CAST({real['sqlite']()} || 'x' AS BLOB)")
    monkeypatch.setattr(verify, "_postgresql_canonical",
                        lambda utf8=True: f"({real['postgresql'](utf8)} || '\\x00'::bytea)")
    assert verify_app(app, workers=workers).ok
    tamper(app, set_event(4, purpose="changed"))
    expect_fail(app, 4, "hash mismatch", workers)


# -- tampering ----------------------------------------------------------------------------------


@WORKERS
def test_a_modified_field_is_a_hash_mismatch(app, workers):
    record(app, 8)
    tamper(app, set_event(5, purpose="nothing to see here"))
    expect_fail(app, 5, "hash mismatch", workers)
    assert verify_app(app, workers=workers).checked == 4


# With 8 events, three ranges are 1-3, 4-6 and 7-8: seq 4 and 7 start a range.


@WORKERS
@pytest.mark.parametrize("seq", [5, 6])
def test_a_rehashed_row_no_longer_links(app, workers, seq):
    record(app, 8)
    row = events(app)[seq - 1]
    forged = {**row._asdict(), "action": "test:innocent"}
    digest = chain_hash(row.prev_hash, row.seq, row.at, SimpleNamespace(**forged))
    tamper(app, set_event(seq, action="test:innocent", hash=digest))
    expect_fail(app, seq + 1, "prev_hash does not link", workers)


@WORKERS
@pytest.mark.parametrize("seq", [2, 4, 7])
def test_a_replaced_prev_hash_does_not_link(app, workers, seq):
    record(app, 8)
    tamper(app, set_event(seq, prev_hash=b"\x03" * 32))
    expect_fail(app, seq, "prev_hash does not link", workers)


@WORKERS
def test_a_deleted_row_is_a_gap(app, workers):
    record(app, 8)
    tamper(app, "DELETE FROM audit_events WHERE seq = 4")
    expect_fail(app, 4, "gap: expected seq 4", workers)


def test_a_deleted_last_row_leaves_the_head_pointing_at_nothing(app):
    record(app, 5)
    tamper(app, "DELETE FROM audit_events WHERE seq = 5")
    expect_fail(app, 5, "head does not match last event")


@WORKERS
def test_an_inserted_forged_row_is_found(app, workers):
    record(app, 5)
    last = events(app)[-1]
    bogus = {**last._asdict(), "seq": 6, "prev_hash": last.hash, "hash": b"\x01" * 32,
             "action": "test:forged"}
    with db(app).engine.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(**bogus))
    expect_fail(app, 6, "hash mismatch", workers)


def test_a_well_forged_row_without_the_head_is_found(app):
    record(app, 5)
    last = events(app)[-1]
    forged = {**last._asdict(), "seq": 6, "action": "test:forged"}
    digest = chain_hash(last.hash, 6, last.at, SimpleNamespace(**forged))
    with db(app).engine.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(
            **{**forged, "prev_hash": last.hash, "hash": digest}))
    expect_fail(app, 6, "head does not match last event")


@WORKERS
def test_swapped_rows_do_not_link(app, workers):
    record(app, 8)
    rows = {r.seq: r for r in events(app)}
    cols = [c for c in rows[3]._fields if c != "seq"]
    tamper(app, set_event(3, **{c: getattr(rows[6], c) for c in cols}),
            set_event(6, **{c: getattr(rows[3], c) for c in cols}))
    expect_fail(app, 3, "prev_hash does not link", workers)


@WORKERS
def test_reordered_and_rehashed_rows_go_back_in_time(app, workers):
    """Swap two events and rewrite the chain and head after them: only time tells."""
    record(app, 8)
    rows = {r.seq: r._asdict() for r in events(app)}
    order = [(3, rows[5]), (4, rows[4]), (5, rows[3]), *((s, rows[s]) for s in (6, 7, 8))]
    rewritten = rechain(order, rows[2]["hash"])
    tamper(app, *(set_event(r["seq"], **{k: v for k, v in r.items() if k != "seq"})
                   for r in rewritten),
            set_head(8, rewritten[-1]["hash"]))
    expect_fail(app, 4, "time goes backwards", workers)


@WORKERS
def test_a_rewritten_chain_contradicts_its_checkpoint(app, workers):
    """A full rewrite links and matches the head, but not the signed checkpoint."""
    record(app, 4)
    checkpoint(app)  # signs seq 4; its own event is seq 5
    record(app, 3)
    rows = events(app)
    changed = [(r.seq, r._asdict()) for r in rows]
    changed[1] = (2, {**changed[1][1], "purpose": "rewritten"})
    rewritten = rechain(changed[1:], rows[0].hash)
    tamper(app, *(set_event(r["seq"], **{k: v for k, v in r.items() if k != "seq"})
                   for r in rewritten),
            set_head(rows[-1].seq, rewritten[-1]["hash"]))
    expect_fail(app, 4, "checkpoint does not match event", workers)


def test_truncating_after_a_checkpoint_is_found(app):
    record(app, 6)
    cp = checkpoint(app)  # signs seq 6
    record(app, 3)
    before = events(app)[3]
    # The attacker cuts the tail and points the head at the new last event.
    tamper(app, "DELETE FROM audit_events WHERE seq >= 5", set_head(4, before.hash))
    expect_fail(app, 5, "checkpointed event missing (log truncated)")
    assert cp.seq == 6


def test_truncating_without_moving_the_head_names_the_truncation(app):
    record(app, 6)
    checkpoint(app)
    tamper(app, "DELETE FROM audit_events WHERE seq >= 3")
    expect_fail(app, 3, "checkpointed event missing (log truncated)")


@WORKERS
def test_an_altered_checkpoint_signature_is_found(app, workers):
    record(app, 3)
    checkpoint(app)
    record(app, 2)
    tamper(app, update(AuditCheckpoint.__table__).values(signature=b"\x00" * 64))
    expect_fail(app, 3, "checkpoint signature invalid", workers)


def test_a_checkpoint_moved_to_another_seq_fails_its_signature(app):
    record(app, 3)
    checkpoint(app)
    tamper(app, update(AuditCheckpoint.__table__).values(seq=2))
    expect_fail(app, 2, "checkpoint signature invalid")


def test_a_checkpoint_by_an_unknown_key_is_found(app):
    record(app, 2)
    checkpoint(app)
    tamper(app, update(AuditCheckpoint.__table__).values(public_key_id="0" * 16))
    expect_fail(app, 2, "checkpoint signed by an unknown key")


def test_the_earliest_problem_is_reported(app):
    record(app, 8)
    tamper(app, set_event(6, purpose="later"), set_event(3, purpose="earlier"))
    expect_fail(app, 3, "hash mismatch")


def test_verifying_from_a_seq_checks_its_link(app):
    record(app, 8)
    tamper(app, set_event(2, purpose="before the range"))
    assert verify_app(app, from_seq=4).ok  # event 3 still links to 2's stored hash
    tamper(app, set_event(5, prev_hash=b"\x02" * 32))
    result = verify_app(app, from_seq=5)
    assert (result.first_bad_seq, result.reason) == (5, "prev_hash does not link")
    with pytest.raises(ValueError, match="beyond the head"):
        verify_app(app, from_seq=20)


def test_verify_without_checkpoints_skips_them(app):
    record(app, 3)
    checkpoint(app)
    tamper(app, update(AuditCheckpoint.__table__).values(signature=b"\x00" * 64))
    with db(app).sessionmaker() as s:
        assert verify.verify_chain(s, checkpoints=False).ok
        s.rollback()


