"""Unknown case ids: an unrelated case and a missing one answer alike, and a guess is audited."""

from __future__ import annotations

import uuid

from tests.factories import assert_problem, build


def test_unrelated_and_missing_cases_answer_identically(world):
    case = build(world)
    stranger = world.login("elsewhere_rp")
    related = stranger.get(f"/api/v1/cases/{case.id}")
    missing = stranger.get(f"/api/v1/cases/{uuid.uuid4()}")
    assert related.status_code == missing.status_code == 404
    assert related.get_json() == missing.get_json()
    for path in ("notes", "history"):
        a = stranger.get(f"/api/v1/cases/{case.id}/{path}").get_json()
        b = stranger.get(f"/api/v1/cases/{uuid.uuid4()}/{path}").get_json()
        assert a == b


def test_guessed_ids_leave_a_denial_in_the_audit_trail(world, dbs):
    from sqlalchemy import select

    from referral.core.ledger.models import AuditEvent

    build(world)
    guess = uuid.uuid4()
    assert_problem(world.login("elsewhere_rp").get(f"/api/v1/cases/{guess}"), 404)
    rows = dbs.execute(select(AuditEvent.action, AuditEvent.outcome, AuditEvent.rule)
                       .where(AuditEvent.object_id == str(guess))).all()
    dbs.rollback()
    assert rows == [("case:read", "denied", "no_relation")]
