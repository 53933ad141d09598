"""Who may receive a referral (policies/recipients.py): never the police, never the platform
operator, a sphere of life only where it is cared for, a LIVC decision only within the LIVC,
and a voluntary service only with the person's consent, from the offer on."""

from __future__ import annotations

import pytest

from tests.factories import assert_problem, build, in_session, org_id


def _offer(world, case, to, **extra):
    body = {"to_organisation_id": org_id(world, to), "kind": "service",
            "sphere_of_life": "psycho_social", "purpose": "support", **extra}
    return world.login("owner_rp").post(f"/api/v1/cases/{case.id}/referrals", json=body)


@pytest.fixture
def case(world):
    made = build(world, state="screening")
    world.org("Operator", "other")
    world.user("root", "Operator", ["admin"])
    return made


def test_the_police_never_receive_a_referral(world, case):
    for extra in ({}, {"kind": "coordination", "sphere_of_life": None}):
        r = _offer(world, case, "PZ Gent", **extra)
        assert "to_organisation_id" in assert_problem(r, 422, rule="no_referral_to_police")[
            "errors"]
    assert world.login("police_io").get("/api/v1/referrals?direction=incoming").get_json()[
        "items"] == []


def test_the_operators_organisation_never_receives_a_referral(world, case):
    r = _offer(world, case, "Operator", sphere_of_life="alternative_discourse")
    assert_problem(r, 422, rule="no_referral_to_operator")


def test_a_sphere_goes_only_where_it_is_cared_for(world, case):
    assert_problem(_offer(world, case, "VDAB Gent", sphere_of_life="trauma"), 422,
                   rule="sphere_for_kind")
    assert _offer(world, case, "CGG Gent", sphere_of_life="trauma").status_code == 201
    assert_problem(_offer(world, case, "VDAB Gent", kind="coordination", sphere_of_life=None),
                   422, rule="coordinating_kind")


def test_a_judicial_follow_up_needs_its_legal_basis_at_the_offer(world, case):
    r = _offer(world, case, "Justitiehuis Gent", sphere_of_life="judicial_follow_up")
    assert_problem(r, 422, guard="legal_basis_required")
    r = _offer(world, case, "Justitiehuis Gent", sphere_of_life="judicial_follow_up",
               legal_basis="probation condition (art. 35 Probation Act)")
    assert r.status_code == 201, r.get_json()


def test_a_voluntary_service_is_not_offered_without_consent(world, case):
    owner = world.login("owner_rp")
    assert owner.patch(f"/api/v1/cases/{case.id}", json={"consent": "refused"}
                       ).status_code == 200
    assert_problem(_offer(world, case, "CGG Gent", sphere_of_life="trauma"), 422,
                   guard="consent_required")
    inbox = world.login("member_rp").get("/api/v1/referrals?direction=incoming").get_json()
    assert inbox["items"] == []  # the recipient never saw the person


def test_a_livc_decision_refers_only_within_the_livc(world):
    case, chair, meeting = in_session(world, state="guidance")
    world.org("CAW Antwerpen", "caw")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "refer", "text": "Refer for support.",
        "referrals": [{"to_organisation_id": org_id(world, "CAW Antwerpen"), "kind": "service",
                       "sphere_of_life": "psycho_social", "purpose": "support"}]})
    assert_problem(r, 422, rule="livc_members_only")
    inbox = world.login("elsewhere_rp").get("/api/v1/referrals?direction=incoming").get_json()
    assert inbox["items"] == []
