"""Regressions for the adversarial review: existence leaks, bearer/cookie mix-ups,
malformed input, version claims, break-glass limits, empty reasons."""

from __future__ import annotations

import uuid

from tests.case_world import build, make_case
from tests.helpers import assert_problem


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


def test_break_glass_role_check_does_not_depend_on_existence(world):
    case = build(world)
    police = world.login("police_io")
    a = police.post(f"/api/v1/cases/{case.id}/break-glass", json={"reason": "urgent need"})
    b = police.post(f"/api/v1/cases/{uuid.uuid4()}/break-glass", json={"reason": "urgent need"})
    assert a.status_code == b.status_code == 403
    assert a.get_json() == b.get_json()


def test_break_glass_stays_within_the_livc_and_tells_the_holder(world):
    case = build(world)
    outsider = world.login("elsewhere_rp")  # CAW Antwerpen: not a member of this LIVC
    assert_problem(outsider.post(f"/api/v1/cases/{case.id}/break-glass",
                                 json={"reason": "urgent need"}), 404)
    member = world.login("member_rp")  # CGG Gent: member organisation, no relation
    r = member.post(f"/api/v1/cases/{case.id}/break-glass", json={"reason": "urgent need"})
    assert r.status_code == 201
    assert member.get(f"/api/v1/cases/{case.id}").get_json()["access_rule"] == "break_glass"
    assert_problem(member.get(f"/api/v1/cases/{case.id}/history"), 403, rule="break_glass")
    assert member.get(f"/api/v1/cases/{case.id}/notes").status_code == 403
    kinds = [n["kind"] for n in world.login("owner_rp").get("/api/v1/notifications")
             .get_json()["items"]]
    assert "break_glass" in kinds


def test_bearer_header_decides_alone(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes", json={"body": "x", "compartment":
                                                           "internal"},
                   headers={"Authorization": "Bearer not-a-token", "X-CSRF-Token": ""})
    assert_problem(r, 401)
    owner.csrf = None
    r = owner.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert_problem(r, 401)


def test_malformed_json_never_500(world):
    build(world)
    owner = world.login("owner_rp")
    for raw in ('{"username": "\\ud800", "password": "x"}', "[" * 5000 + "]" * 5000):
        r = world.app.test_client().post("/api/v1/auth/login", data=raw,
                                         content_type="application/json")
        assert r.status_code == 400, r.get_data(as_text=True)
    case = make_case(world)
    r = owner.post(f"/api/v1/cases/{case.id}/notes",
                   data='{"body": "\\udfff", "compartment": "internal"}',
                   content_type="application/json")
    assert_problem(r, 400)


def test_if_match_and_body_version_must_agree(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.patch(f"/api/v1/cases/{case.id}", json={"phase": "action", "version": 1},
                    headers={"If-Match": '"v2"'})
    assert_problem(r, 409)


def test_reasons_need_words(world):
    case = build(world)
    owner = world.login("owner_rp")
    for reason in ("\u200b", "   ", "..."):
        r = owner.post(f"/api/v1/cases/{case.id}/reidentify", json={"reason": reason})
        assert "reason" in assert_problem(r, 422)["errors"]


def test_no_content_type_on_204(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    r = api.post("/api/v1/auth/logout")
    assert r.status_code == 204
    assert "Content-Type" not in r.headers


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


def test_break_glass_lapses_with_the_reference_person_role(world):
    from sqlalchemy import select

    from referral.accounts.models import RoleAssignment, User
    from tests.case_world import build, grant_break_glass

    case = build(world)
    grant_break_glass(world, case, "member_rp")
    holder = world.login("member_rp")
    assert holder.get(f"/api/v1/cases/{case.id}").get_json()["access_rule"] == "break_glass"
    assert [c["id"] for c in holder.get("/api/v1/cases").get_json()["items"]] == [str(case.id)]
    with world.session() as s:
        uid = s.scalar(select(User.id).where(User.username == "member_rp"))
        for ra in s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == uid)):
            ra.role = "case_worker"  # moved to another job within the organisation
        s.commit()
    again = world.login("member_rp")
    assert again.get(f"/api/v1/cases/{case.id}").status_code == 404
    assert again.get("/api/v1/cases").get_json()["items"] == []
