"""Request ids in the chain are the server's own; refused CSRF attempts are on the ledger."""

from __future__ import annotations

from sqlalchemy import select

from referral.core.ledger.models import AuditEvent
from tests.factories import assert_problem


def test_a_client_cannot_choose_the_request_id_written_to_the_chain(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    client = world.app.test_client()
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": "w" * 12},
                    headers={"X-Request-ID": "victims-request-0001"})
    assert r.status_code == 401
    ours = r.headers["X-Request-ID"]
    assert ours != "victims-request-0001"
    assert r.headers["X-Client-Request-ID"] == "victims-request-0001"
    ids = set(dbs.scalars(select(AuditEvent.request_id)))
    dbs.rollback()
    assert "victims-request-0001" not in ids
    assert ours in ids


def test_a_refused_csrf_attempt_is_on_the_ledger(world, dbs):
    world.make_livc()
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    api.csrf = None  # a cross-site form: the session cookie, but no token
    r = api.post("/api/v1/cases", json={"livc_id": str(world.livc.id)})
    assert_problem(r, 403, rule="csrf_token_required")
    events = dbs.execute(select(AuditEvent.action, AuditEvent.outcome, AuditEvent.rule,
                                AuditEvent.actor_user_id)
                         .where(AuditEvent.request_id == r.headers["X-Request-ID"])).all()
    dbs.rollback()
    assert [(a, o, rule) for a, o, rule, _ in events] == [
        ("csrf:refused", "denied", "csrf_token_required")]
    assert events[0].actor_user_id is not None
