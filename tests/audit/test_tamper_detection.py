"""Tampering behind the application's back is found, and named by its first bad seq.

The attacker here has the database owner's rights: they switch the append-only
triggers off, then change, delete, insert, reorder or truncate rows.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from referral.audit import checkpoints, verify
from referral.audit.models import AuditCheckpoint
from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.chain import GENESIS_HASH, chain_hash
from referral.core.ledger.models import AuditEvent, AuditHead

WORKERS = pytest.mark.parametrize("workers", [1, 3], ids=["one-stream", "three-ranges"])


# -- helpers ------------------------------------------------------------------------------------


def _db(app: Any) -> Any:
    return app.extensions["referral.db"]


def _record(app: Any, n: int, *, step: timedelta = timedelta(seconds=1), **fields: Any) -> None:
    """``n`` events, one transaction each, the clock moving on between them."""
    for i in range(n):
        with _db(app).sessionmaker() as s:
            chain.record(s, None, fields.get("action", "test:event"), object_type="test",
                         object_id=i, purpose=fields.get("purpose", f"event {i}"))
            s.commit()
        clock.advance(step)


def _checkpoint(app: Any) -> AuditCheckpoint:
    with _db(app).sessionmaker() as s:
        cp = checkpoints.create_checkpoint(s, app.config)
        s.commit()
    return cp


def _verify(app: Any, from_seq: int = 1, workers: int = 1) -> verify.VerifyResult:
    with _db(app).sessionmaker() as s:
        result = verify.verify_chain(s, from_seq, workers=workers,
                                     public_keys=checkpoints.known_public_keys(app.config))
        s.rollback()
    return result


def _events(app: Any) -> list[Any]:
    with _db(app).sessionmaker() as s:
        rows = list(s.execute(select(*AuditEvent.__table__.c).order_by(AuditEvent.seq)))
        s.rollback()
    return rows


def _disable_triggers(conn: Any) -> None:
    if conn.dialect.name == "postgresql":
        for table in ("audit_events", "audit_checkpoints"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for table in ("audit_events", "audit_checkpoints"):
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))


def _tamper(app: Any, *statements: Any) -> None:
    """Run statements as the database owner, the append-only triggers switched off."""
    with _db(app).engine.begin() as conn:
        _disable_triggers(conn)
        for statement in statements:
            conn.execute(text(statement) if isinstance(statement, str) else statement)


def _set_event(seq: int, **values: Any) -> Any:
    return update(AuditEvent.__table__).where(AuditEvent.__table__.c.seq == seq).values(**values)


def _set_head(seq: int, digest: bytes) -> Any:
    return update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1).values(
        seq=seq, hash=digest)


def _rechain(rows: list[tuple[int, dict[str, Any]]], start_prev: bytes) -> list[dict[str, Any]]:
    """What an attacker writes to make rewritten rows link again (new seq order)."""
    out, prev = [], start_prev
    for seq, row in rows:
        values = {k: v for k, v in row.items() if k != "seq"}
        values["prev_hash"] = prev
        values["hash"] = prev = chain_hash(prev, seq, row["at"], SimpleNamespace(**row))
        out.append({"seq": seq, **values})
    return out


def _expect_fail(app: Any, seq: int, reason: str, workers: int = 1) -> None:
    result = _verify(app, workers=workers)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, seq, reason), result


# -- an intact chain ----------------------------------------------------------------------------


@WORKERS
def test_an_intact_chain_verifies(app, workers):
    assert _verify(app, workers=workers) == verify.VerifyResult(True, 0, None, None, 0)
    _record(app, 7)
    _checkpoint(app)
    _record(app, 3)
    result = _verify(app, workers=workers)
    assert (result.ok, result.checked, result.head_seq) == (True, 11, 11)
    partial = _verify(app, from_seq=6, workers=workers)
    assert (partial.ok, partial.checked) == (True, 6)


def test_logins_through_the_api_verify(world, app):
    world.user("cato", "CAW Gent", ["reference_person"])
    for _ in range(3):
        world.login("cato")
    assert _verify(app).checked == 3


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
        with _db(app).sessionmaker() as s:
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
    assert _verify(app, workers=workers).ok
    assert consulted == []


@WORKERS
def test_chain_hash_decides_when_the_sql_rendering_disagrees(app, monkeypatch, workers):
    _record(app, 6)
    real = {"sqlite": verify._sqlite_canonical, "postgresql": verify._postgresql_canonical}
    # Renderings that never match: every row must be settled by chain_hash.
    monkeypatch.setattr(verify, "_sqlite_canonical",
                        lambda: f"CAST({real['sqlite']()} || 'x' AS BLOB)")
    monkeypatch.setattr(verify, "_postgresql_canonical",
                        lambda utf8=True: f"({real['postgresql'](utf8)} || '\\x00'::bytea)")
    assert _verify(app, workers=workers).ok
    _tamper(app, _set_event(4, purpose="changed"))
    _expect_fail(app, 4, "hash mismatch", workers)


# -- tampering ----------------------------------------------------------------------------------


@WORKERS
def test_a_modified_field_is_a_hash_mismatch(app, workers):
    _record(app, 8)
    _tamper(app, _set_event(5, purpose="nothing to see here"))
    _expect_fail(app, 5, "hash mismatch", workers)
    assert _verify(app, workers=workers).checked == 4


# With 8 events, three ranges are 1-3, 4-6 and 7-8: seq 4 and 7 start a range.


@WORKERS
@pytest.mark.parametrize("seq", [5, 6])
def test_a_rehashed_row_no_longer_links(app, workers, seq):
    _record(app, 8)
    row = _events(app)[seq - 1]
    forged = {**row._asdict(), "action": "test:innocent"}
    digest = chain_hash(row.prev_hash, row.seq, row.at, SimpleNamespace(**forged))
    _tamper(app, _set_event(seq, action="test:innocent", hash=digest))
    _expect_fail(app, seq + 1, "prev_hash does not link", workers)


@WORKERS
@pytest.mark.parametrize("seq", [2, 4, 7])
def test_a_replaced_prev_hash_does_not_link(app, workers, seq):
    _record(app, 8)
    _tamper(app, _set_event(seq, prev_hash=b"\x03" * 32))
    _expect_fail(app, seq, "prev_hash does not link", workers)


@WORKERS
def test_a_deleted_row_is_a_gap(app, workers):
    _record(app, 8)
    _tamper(app, "DELETE FROM audit_events WHERE seq = 4")
    _expect_fail(app, 4, "gap: expected seq 4", workers)


def test_a_deleted_last_row_leaves_the_head_pointing_at_nothing(app):
    _record(app, 5)
    _tamper(app, "DELETE FROM audit_events WHERE seq = 5")
    _expect_fail(app, 5, "head does not match last event")


@WORKERS
def test_an_inserted_forged_row_is_found(app, workers):
    _record(app, 5)
    last = _events(app)[-1]
    bogus = {**last._asdict(), "seq": 6, "prev_hash": last.hash, "hash": b"\x01" * 32,
             "action": "test:forged"}
    with _db(app).engine.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(**bogus))
    _expect_fail(app, 6, "hash mismatch", workers)


def test_a_well_forged_row_without_the_head_is_found(app):
    _record(app, 5)
    last = _events(app)[-1]
    forged = {**last._asdict(), "seq": 6, "action": "test:forged"}
    digest = chain_hash(last.hash, 6, last.at, SimpleNamespace(**forged))
    with _db(app).engine.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(
            **{**forged, "prev_hash": last.hash, "hash": digest}))
    _expect_fail(app, 6, "head does not match last event")


@WORKERS
def test_swapped_rows_do_not_link(app, workers):
    _record(app, 8)
    rows = {r.seq: r for r in _events(app)}
    cols = [c for c in rows[3]._fields if c != "seq"]
    _tamper(app, _set_event(3, **{c: getattr(rows[6], c) for c in cols}),
            _set_event(6, **{c: getattr(rows[3], c) for c in cols}))
    _expect_fail(app, 3, "prev_hash does not link", workers)


@WORKERS
def test_reordered_and_rehashed_rows_go_back_in_time(app, workers):
    """Swap two events and rewrite the chain and head after them: only time tells."""
    _record(app, 8)
    rows = {r.seq: r._asdict() for r in _events(app)}
    order = [(3, rows[5]), (4, rows[4]), (5, rows[3]), *((s, rows[s]) for s in (6, 7, 8))]
    rewritten = _rechain(order, rows[2]["hash"])
    _tamper(app, *(_set_event(r["seq"], **{k: v for k, v in r.items() if k != "seq"})
                   for r in rewritten),
            _set_head(8, rewritten[-1]["hash"]))
    _expect_fail(app, 4, "time goes backwards", workers)


@WORKERS
def test_a_rewritten_chain_contradicts_its_checkpoint(app, workers):
    """A full rewrite links and matches the head, but not the signed checkpoint."""
    _record(app, 4)
    _checkpoint(app)  # signs seq 4; its own event is seq 5
    _record(app, 3)
    rows = _events(app)
    changed = [(r.seq, r._asdict()) for r in rows]
    changed[1] = (2, {**changed[1][1], "purpose": "rewritten"})
    rewritten = _rechain(changed[1:], rows[0].hash)
    _tamper(app, *(_set_event(r["seq"], **{k: v for k, v in r.items() if k != "seq"})
                   for r in rewritten),
            _set_head(rows[-1].seq, rewritten[-1]["hash"]))
    _expect_fail(app, 4, "checkpoint does not match event", workers)


def test_truncating_after_a_checkpoint_is_found(app):
    _record(app, 6)
    cp = _checkpoint(app)  # signs seq 6
    _record(app, 3)
    before = _events(app)[3]
    # The attacker cuts the tail and points the head at the new last event.
    _tamper(app, "DELETE FROM audit_events WHERE seq >= 5", _set_head(4, before.hash))
    _expect_fail(app, 5, "checkpointed event missing (log truncated)")
    assert cp.seq == 6


def test_truncating_without_moving_the_head_names_the_truncation(app):
    _record(app, 6)
    _checkpoint(app)
    _tamper(app, "DELETE FROM audit_events WHERE seq >= 3")
    _expect_fail(app, 3, "checkpointed event missing (log truncated)")


@WORKERS
def test_an_altered_checkpoint_signature_is_found(app, workers):
    _record(app, 3)
    _checkpoint(app)
    _record(app, 2)
    _tamper(app, update(AuditCheckpoint.__table__).values(signature=b"\x00" * 64))
    _expect_fail(app, 3, "checkpoint signature invalid", workers)


def test_a_checkpoint_moved_to_another_seq_fails_its_signature(app):
    _record(app, 3)
    _checkpoint(app)
    _tamper(app, update(AuditCheckpoint.__table__).values(seq=2))
    _expect_fail(app, 2, "checkpoint signature invalid")


def test_a_checkpoint_by_an_unknown_key_is_found(app):
    _record(app, 2)
    _checkpoint(app)
    _tamper(app, update(AuditCheckpoint.__table__).values(public_key_id="0" * 16))
    _expect_fail(app, 2, "checkpoint signed by an unknown key")


def test_the_earliest_problem_is_reported(app):
    _record(app, 8)
    _tamper(app, _set_event(6, purpose="later"), _set_event(3, purpose="earlier"))
    _expect_fail(app, 3, "hash mismatch")


def test_verifying_from_a_seq_checks_its_link(app):
    _record(app, 8)
    _tamper(app, _set_event(2, purpose="before the range"))
    assert _verify(app, from_seq=4).ok  # event 3 still links to 2's stored hash
    _tamper(app, _set_event(5, prev_hash=b"\x02" * 32))
    result = _verify(app, from_seq=5)
    assert (result.first_bad_seq, result.reason) == (5, "prev_hash does not link")
    with pytest.raises(ValueError, match="beyond the head"):
        _verify(app, from_seq=20)


def test_verify_without_checkpoints_skips_them(app):
    _record(app, 3)
    _checkpoint(app)
    _tamper(app, update(AuditCheckpoint.__table__).values(signature=b"\x00" * 64))
    with _db(app).sessionmaker() as s:
        assert verify.verify_chain(s, checkpoints=False).ok
        s.rollback()


# -- the append-only triggers -------------------------------------------------------------------


def test_postgresql_triggers_block_update_delete_and_truncate(app):
    if _db(app).dialect != "postgresql":
        pytest.skip("TRUNCATE triggers are PostgreSQL's; SQLite has no TRUNCATE")
    _record(app, 2)
    _checkpoint(app)
    for table in ("audit_events", "audit_checkpoints"):
        for sql in (f"UPDATE {table} SET seq = seq", f"DELETE FROM {table}",  # noqa: S608
                    f"TRUNCATE {table}"):
            with pytest.raises(DatabaseError, match="append-only"), \
                    _db(app).engine.begin() as conn:
                conn.execute(text(sql))
    assert len(_events(app)) == 3
    assert _verify(app).ok


def test_sqlite_and_postgresql_triggers_block_checkpoint_changes(app):
    _record(app, 1)
    _checkpoint(app)
    for sql in ("UPDATE audit_checkpoints SET seq = 0", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DatabaseError), _db(app).engine.begin() as conn:
            conn.execute(text(sql))


# -- checkpoints --------------------------------------------------------------------------------


def test_a_checkpoint_signs_the_head_and_is_itself_audited(app):
    _record(app, 3)
    cp = _checkpoint(app)
    assert (cp.seq, cp.hash) == (3, _events(app)[2].hash)
    assert _events(app)[-1].action == "audit:checkpoint"
    key = checkpoints.signing_key_from_config(app.config["AUDIT_SIGNING_KEY"])
    assert checkpoints.verify_checkpoint_signature(cp, key.public_key())
    other = checkpoints.signing_key_from_config(base64.urlsafe_b64encode(b"o" * 32).decode())
    assert not checkpoints.verify_checkpoint_signature(cp, other.public_key())
    assert checkpoints.public_key_id(key.public_key()) == cp.public_key_id
    assert len(cp.public_key_id) == 16


def test_an_exported_checkpoint_verifies_with_nothing_but_the_export(app):
    _record(app, 2)
    cp = _checkpoint(app)
    key = checkpoints.signing_key_from_config(app.config["AUDIT_SIGNING_KEY"]).public_key()
    doc = json.loads(json.dumps(checkpoints.export_checkpoint(cp, key)))
    assert doc["algorithm"] == "Ed25519"
    assert doc["message"] == (f"livc-audit-checkpoint|v1|{doc['seq']}|{doc['hash']}|"
                              f"{doc['at']}")
    pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["public_key"]))
    pub.verify(base64.b64decode(doc["signature"]), doc["message"].encode())  # raises if bad


def test_the_genesis_checkpoint_verifies(app):
    cp = _checkpoint(app)
    assert (cp.seq, cp.hash) == (0, GENESIS_HASH)
    assert _verify(app).ok


def test_a_signing_key_must_be_32_bytes():
    with pytest.raises(ValueError, match="32 raw bytes"):
        checkpoints.signing_key_from_config(base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        checkpoints.signing_key_from_config("not base64 at all!")


def test_retired_public_keys_still_verify(app):
    _record(app, 1)
    _checkpoint(app)
    old_pub = checkpoints.signing_key_from_config(app.config["AUDIT_SIGNING_KEY"]).public_key()
    app.config["AUDIT_SIGNING_KEY"] = base64.urlsafe_b64encode(b"n" * 32).decode()
    _expect_fail(app, 1, "checkpoint signed by an unknown key")
    app.config["AUDIT_PREVIOUS_PUBLIC_KEYS"] = base64.b64encode(
        checkpoints.raw_public_key(old_pub)).decode()
    assert _verify(app).ok


# -- the command line ---------------------------------------------------------------------------


def test_cli_verify_exit_codes(app):
    runner = app.test_cli_runner()
    _record(app, 4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "ok: 4 events verified, head seq 4" in result.output
    assert "events/s" in result.output
    result = runner.invoke(args=["audit", "verify", "--from", "3"])
    assert result.exit_code == 0
    assert "ok: 2 events verified" in result.output
    _tamper(app, _set_event(2, purpose="changed"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "FAIL at seq 2: hash mismatch" in result.output
    assert runner.invoke(args=["audit", "verify", "--from", "99"]).exit_code == 2
    assert runner.invoke(args=["audit", "verify", "--from", "0"]).exit_code == 2


def test_cli_checkpoint_and_export(app, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "export-checkpoint"]).exit_code == 1  # none yet
    _record(app, 2)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["seq"] == 2
    _record(app, 1)
    runner.invoke(args=["audit", "checkpoint"])
    out = tmp_path / "cp.json"
    result = runner.invoke(args=["audit", "export-checkpoint", "--latest", "-o", str(out)])
    assert result.exit_code == 0, result.output
    latest = json.loads(out.read_text())
    assert latest["seq"] == 4  # 2 events, the first checkpoint's event, 1 more
    all_cps = json.loads(runner.invoke(args=["audit", "export-checkpoint"]).output)
    assert [c["seq"] for c in all_cps] == [2, 4]
    assert all_cps[0] == created
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
