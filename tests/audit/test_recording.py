"""Every login and admin change lands in the hash chain, in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from referral.core.ledger.chain import GENESIS_HASH, chain_hash
from referral.core.ledger.models import AuditEvent


def _events(dbs):
    events = list(dbs.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    dbs.rollback()  # end the read transaction: on SQLite it holds the write lock
    return events


def test_logins_and_denials_are_chained(world, dbs, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    client.post("/api/v1/auth/login", json={"username": "cato", "password": "wrong-password!"})
    api.post("/api/v1/organisations", json={"name": "X", "kind": "caw"})
    events = _events(dbs)
    assert [(e.action, e.outcome, e.rule) for e in events] == [
        ("auth:login", "allowed", None),
        ("auth:login", "denied", "bad_credentials"),
        ("organisation:create", "denied", "admin_only"),
    ]
    prev = GENESIS_HASH
    for i, e in enumerate(events, start=1):
        assert e.seq == i
        assert e.prev_hash == prev
        assert e.hash == chain_hash(prev, e.seq, e.at, e)
        prev = e.hash
    assert all(e.request_id for e in events)


def test_failed_request_leaves_no_event(world, dbs, admin):
    before = len(_events(dbs))
    r = admin.post("/api/v1/organisations", json={"name": "X", "kind": "nonsense"})
    assert r.status_code == 422
    assert len(_events(dbs)) == before


def test_audit_rows_cannot_be_changed_or_deleted(world, app, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    world.login("cato")
    engine = app.extensions["referral.db"].engine
    for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError), engine.begin() as conn:
            conn.execute(text(sql))
    assert len(_events(dbs)) == 1
