"""Who sees a case: the authorization matrix, relations ending, 404 versus 403."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from tests.factories import RELATIONS, assert_problem, build, make_case

# Expected status per route and relation, for a case in guidance with an offered referral to
# VDAB and an accepted referral to the justice centre.  R = reduced header.
ROUTES = ["read", "patch", "transitions", "history", "access_log", "reidentify"]
MATRIX = {
    #                   read  patch transitions history access_log reidentify
    "owner_rp":         (200, 200, 200, 200, 200, 200),
    "owner_cw":         (200, 200, 200, 200, 403, 403),
    "offered_partner":  (200, 403, 403, 403, 403, 403),
    "accepted_partner": (200, 403, 200, 200, 403, 200),
    # Without a meeting: the chair and coordinator prepare agendas (a reduced header), the
    # members and the police officer have no relation (case material is meeting material).
    "livc_chair":       (200, 403, 403, 403, 403, 403),
    "livc_coordinator": (200, 403, 403, 403, 403, 403),
    "livc_member":      (404, 404, 404, 404, 404, 404),
    "police_io":        (404, 404, 404, 404, 404, 404),
    "member_org_rp":    (404, 404, 404, 404, 404, 404),
    "elsewhere_rp":     (404, 404, 404, 404, 404, 404),
    "auditor":          (404, 404, 404, 404, 404, 404),
    "admin":            (404, 404, 404, 404, 404, 404),
    "anonymous":        (401, 401, 401, 401, 401, 401),
}


def _call(api, route, case_id):
    base = f"/api/v1/cases/{case_id}"
    if route == "read":
        return api.get(base)
    if route == "patch":
        return api.patch(base, json={"phase": "sensitivity"})
    if route == "transitions":
        return api.get(f"{base}/transitions")
    if route == "history":
        return api.get(f"{base}/history")
    if route == "access_log":
        return api.get(f"{base}/access-log")
    return api.post(f"{base}/reidentify", json={"reason": "meeting the person"})


@pytest.mark.parametrize("relation", list(MATRIX))
def test_authorization_matrix(world, relation):
    case = build(world)
    if relation == "anonymous":
        from tests.factories import Api

        api = Api(world.app.test_client())
    else:
        api = world.login(RELATIONS[relation][0])
    for route, expected in zip(ROUTES, MATRIX[relation], strict=True):
        r = _call(api, route, case.id)
        assert r.status_code == expected, (relation, route, r.get_json())
        if expected == 403:
            assert r.get_json()["rule"], (relation, route)
        if expected >= 400:
            assert r.mimetype == "application/problem+json"


def test_offered_partner_sees_reduced_header_only(world):
    case = build(world)
    body = world.login("offered_rp").get(f"/api/v1/cases/{case.id}").get_json()
    assert body["access"] == "reduced"
    assert body["purpose"] == "help with housing"
    assert set(body) <= {"id", "reference", "pseudonym", "age_band", "municipality_nis",
                         "state", "livc_id", "access", "access_rule", "purpose"}


def test_livc_access_ends_when_case_leaves_livc_states(world):
    case = build(world)
    chair = world.login("chair")
    assert chair.get(f"/api/v1/cases/{case.id}").status_code == 200
    with world.session() as s:
        s.execute(update(Case).where(Case.id == case.id).values(state="internal_follow_up",
                                                                 coordinator_organisation_id=None))
        s.commit()
    assert_problem(chair.get(f"/api/v1/cases/{case.id}"), 404)
    assert chair.get("/api/v1/cases").get_json()["total"] == 0


def test_partner_access_ends_when_referral_completes(world):
    case = build(world)
    partner = world.login("accepted_rp")
    assert partner.get(f"/api/v1/cases/{case.id}").status_code == 200
    with world.session() as s:
        s.execute(update(Referral).where(Referral.case_id == case.id,
                                         Referral._state == "accepted")
                  .values(state="completed", outcome="done"))
        s.commit()
    assert_problem(partner.get(f"/api/v1/cases/{case.id}"), 404)


def test_lists_show_exactly_the_related_cases(world):
    case = build(world)
    other = make_case(world, owner="CAW Antwerpen", state="screening")
    owner_ids = {c["id"] for c in world.login("owner_rp").get("/api/v1/cases")
                 .get_json()["items"]}
    assert owner_ids == {str(case.id)}
    elsewhere = world.login("elsewhere_rp").get("/api/v1/cases").get_json()
    assert {c["id"] for c in elsewhere["items"]} == {str(other.id)}
    assert world.login("auditor1").get("/api/v1/cases").get_json()["total"] == 0


def test_break_glass_grants_header_for_a_reason_and_is_audited(world, dbs):
    from sqlalchemy import select

    from referral.core.ledger.models import AuditEvent

    case = build(world)
    rp = world.login("member_rp")  # a member organisation's reference person, no relation
    assert_problem(rp.get(f"/api/v1/cases/{case.id}"), 404)
    assert_problem(rp.post(f"/api/v1/cases/{case.id}/break-glass", json={"reason": ""}), 422)
    r = rp.post(f"/api/v1/cases/{case.id}/break-glass", json={"reason": "imminent danger"})
    assert r.status_code == 201
    assert rp.get(f"/api/v1/cases/{case.id}").get_json()["access_rule"] == "break_glass"
    assert_problem(rp.patch(f"/api/v1/cases/{case.id}", json={"phase": "action"}), 403,
                   rule="break_glass")
    events = dbs.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    dbs.rollback()
    assert "case:break_glass" in events
    assert_problem(world.login("member").post(f"/api/v1/cases/{case.id}/break-glass",
                                              json={"reason": "curious"}), 403)


def test_denials_are_audited_with_their_rule(world, dbs):
    from sqlalchemy import select

    from referral.core.ledger.models import AuditEvent

    case = build(world)
    world.login("owner_cw").get(f"/api/v1/cases/{case.id}/access-log")
    world.login("elsewhere_rp").get(f"/api/v1/cases/{case.id}")
    rows = dbs.execute(select(AuditEvent.action, AuditEvent.outcome, AuditEvent.rule)
                       .where(AuditEvent.case_id == case.id)).all()
    dbs.rollback()
    assert ("case:access_log", "denied", "owner_reference_person") in rows
    assert ("case:read", "denied", "no_relation") in rows


# Notes and referrals of the same world.  The owner wrote one internal note (undisclosed);
# "accepted" is the referral accepted by the justice centre, "offered" the one offered to VDAB.
# The person consented (the world's default), so the offered partner's accept goes through;
# the consent guard itself is tested in tests/cases/referrals.
ROUTES_2 = ["notes", "note", "write", "disclose", "referral", "refer", "diagram", "accept"]
MATRIX_2 = {
    #                  notes note write disclose referral refer diagram accept
    "owner_rp":         (200, 200, 201, 201, 200, 201, 200, 403),
    "owner_cw":         (200, 200, 201, 201, 200, 201, 200, 403),
    "offered_partner":  (403, 404, 403, 404, 404, 403, 403, 200),
    "accepted_partner": (200, 404, 201, 404, 200, 403, 200, 404),
    "livc_chair":       (403, 404, 403, 404, 404, 403, 403, 404),
    "livc_coordinator": (403, 404, 403, 404, 404, 403, 403, 404),
    "livc_member":      (404, 404, 404, 404, 404, 404, 404, 404),
    "police_io":        (404, 404, 404, 404, 404, 404, 404, 404),
    "member_org_rp":    (404, 404, 404, 404, 404, 404, 404, 404),
    "elsewhere_rp":     (404, 404, 404, 404, 404, 404, 404, 404),
    "auditor":          (404, 404, 404, 404, 404, 404, 404, 404),
    "admin":            (404, 404, 404, 404, 404, 404, 404, 404),
    "anonymous":        (401, 401, 401, 401, 401, 401, 401, 401),
}


@pytest.mark.parametrize("relation", list(MATRIX_2))
def test_authorization_matrix_notes_and_referrals(world, relation):
    from sqlalchemy import select

    from tests.factories import Api

    case = build(world)
    owner = world.login("owner_rp")
    note = owner.post(f"/api/v1/cases/{case.id}/notes",
                      json={"body": "Internal only.", "compartment": "internal"}).get_json()
    with world.session() as s:
        refs = {r.to_organisation_id: r.id for r in s.scalars(
            select(Referral).where(Referral.case_id == case.id))}
    accepted = refs[world.orgs["Justitiehuis Gent"].id]
    offered = refs[world.orgs["VDAB Gent"].id]
    api = (Api(world.app.test_client()) if relation == "anonymous"
           else world.login(RELATIONS[relation][0]))
    calls = {
        "notes": lambda: api.get(f"/api/v1/cases/{case.id}/notes"),
        "note": lambda: api.get(f"/api/v1/notes/{note['id']}"),
        "write": lambda: api.post(f"/api/v1/cases/{case.id}/notes",
                                  json={"body": "mine", "compartment": "internal"}),
        "disclose": lambda: api.post(f"/api/v1/notes/{note['id']}/disclosures", json={
            "audience": "case_team", "purpose": "coordination", "legal_basis": "458ter"}),
        "referral": lambda: api.get(f"/api/v1/referrals/{accepted}"),
        "refer": lambda: api.post(f"/api/v1/cases/{case.id}/referrals", json={
            "to_organisation_id": str(world.orgs["CGG Gent"].id), "kind": "service",
            "sphere_of_life": "trauma", "purpose": "counselling"}),
        "diagram": lambda: api.get(f"/api/v1/cases/{case.id}/diagram.svg"),
        "accept": lambda: api.post(f"/api/v1/referrals/{offered}/transitions",
                                   json={"trigger": "accept"}),
    }
    for route, expected in zip(ROUTES_2, MATRIX_2[relation], strict=True):
        r = calls[route]()
        assert r.status_code == expected, (relation, route, r.get_data(as_text=True)[:300])
        if expected == 403:
            assert r.get_json()["rule"], (relation, route)
