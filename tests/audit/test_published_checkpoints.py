"""Checkpoints published outside the database: a rogue database administrator who rewinds
the head or rewrites the chain and deletes the database's checkpoints is still found."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select, text, update

from referral.audit import publication, verify
from referral.audit.checkpoints import known_public_keys, verify_checkpoint_signature
from referral.audit.models import AuditCheckpoint
from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent, AuditHead


def _record(app, n):
    for i in range(n):
        with app.extensions["referral.db"].sessionmaker() as s:
            chain.record(s, None, "test:event", object_type="test", object_id=i)
            s.commit()
        clock.advance(timedelta(seconds=1))


def _sign(app):
    with app.app_context(), app.extensions["referral.db"].sessionmaker() as s:
        cp = publication.sign_and_publish(s, app)
        s.commit()
    return cp


def _verify(app):
    with app.app_context(), app.extensions["referral.db"].sessionmaker() as s:
        result = verify.verify_chain(s, workers=1,
                                     public_keys=known_public_keys(app.config))
        s.rollback()
    return result


def _as_db_owner(app, *statements):
    """The database's owner, append-only triggers off, deleting the database's checkpoints
    too: everything a rogue administrator of the database can do."""
    with app.extensions["referral.db"].engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("audit_events", "audit_checkpoints"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for table in ("audit_events", "audit_checkpoints"):
                for verb in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        for statement in statements:
            conn.execute(text(statement) if isinstance(statement, str) else statement)
        conn.execute(text("DELETE FROM audit_checkpoints"))


def test_a_signed_checkpoint_is_published_as_a_file_that_verifies_offline(app):
    _record(app, 3)
    cp = _sign(app)
    [path] = publication.directory(app).glob("checkpoint-*.json")
    data = json.loads(path.read_text())
    assert (data["seq"], data["hash"]) == (cp.seq, bytes(cp.hash).hex())
    [published] = publication.read_published(publication.directory(app))
    key = known_public_keys(app.config)[published.public_key_id]
    assert verify_checkpoint_signature(published, key)
    assert publication.publish(cp, publication.directory(app)) is None  # never overwritten


def test_rewinding_the_head_is_found_by_the_published_checkpoint(app):
    _record(app, 5)
    _sign(app)
    with app.extensions["referral.db"].sessionmaker() as s:
        row3 = s.execute(select(AuditEvent.hash).where(AuditEvent.seq == 3)).scalar_one()
        s.rollback()
    _as_db_owner(app, "DELETE FROM audit_events WHERE seq > 3",
                 update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
                 .values(seq=3, hash=row3))
    result = _verify(app)
    assert (result.ok, result.reason) == (False, verify.TRUNCATED)
    assert result.first_bad_seq == 4


def test_a_rewritten_chain_contradicts_the_published_checkpoint(app):
    _record(app, 5)
    _sign(app)
    with app.extensions["referral.db"].sessionmaker() as s:
        rows = [dict(r._mapping) for r in s.execute(
            select(*AuditEvent.__table__.c).order_by(AuditEvent.seq))]
        s.rollback()
    # Edit event 2 and re-hash everything after it, so that the chain links again.
    rows[1]["purpose"] = "nothing to see"
    prev, statements = rows[0]["hash"], []
    for row in rows[1:]:
        row["prev_hash"] = prev
        row["hash"] = prev = chain.chain_hash(prev, row["seq"], row["at"],
                                              SimpleNamespace(**row))
        statements.append(update(AuditEvent.__table__)
                          .where(AuditEvent.__table__.c.seq == row["seq"])
                          .values(purpose=row["purpose"], prev_hash=row["prev_hash"],
                                  hash=row["hash"]))
    statements.append(update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
                      .values(hash=prev))
    _as_db_owner(app, *statements)
    with app.extensions["referral.db"].sessionmaker() as s:
        assert s.scalar(select(AuditCheckpoint.id)) is None  # the database's own are gone
        s.rollback()
    result = _verify(app)
    assert (result.ok, result.reason) == (False, verify.CHECKPOINT_MISMATCH)


def test_an_instance_signs_now_and_then_while_it_works(world, app):
    app.config["AUDIT_CHECKPOINT_INTERVAL"] = 60
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")  # the first audited commit signs
    assert len(publication.read_published(publication.directory(app))) == 1
    api.get("/api/v1/me")
    api.post("/api/v1/tokens", json={"name": "a"})
    assert len(publication.read_published(publication.directory(app))) == 1
    clock.advance(timedelta(seconds=61))
    api.post("/api/v1/tokens", json={"name": "b"})
    assert len(publication.read_published(publication.directory(app))) == 2
    assert _verify(app).ok
