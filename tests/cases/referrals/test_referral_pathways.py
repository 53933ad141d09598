"""Referrals through the API: the inbox, accepting and starting, the partner pathway,
declining, and coordination referrals."""

from __future__ import annotations

from tests.factories import assert_problem, build


def _org_id(world, name):
    return str(world.orgs[name].id)


def test_referral_inbox_accept_start_and_partner_pathway(world):
    case = build(world, state="screening")
    owner = world.login("owner_rp")
    vdab = _org_id(world, "VDAB Gent")
    offer = {"to_organisation_id": vdab, "kind": "service",
             "sphere_of_life": "social_context", "purpose": "job coaching"}
    # An offered VDAB referral exists already (from the world): a second one is a conflict.
    assert_problem(owner.post(f"/api/v1/cases/{case.id}/referrals", json=offer), 409)
    cgg = _org_id(world, "CGG Gent")
    trauma = {**offer, "to_organisation_id": cgg, "sphere_of_life": "trauma"}
    assert owner.patch(f"/api/v1/cases/{case.id}", json={"consent": "unknown"}).status_code == 200
    # A voluntary service is not even offered without the person's consent: the recipient
    # would otherwise see (the reduced header of) someone who never agreed.
    r = owner.post(f"/api/v1/cases/{case.id}/referrals", json=trauma)
    assert_problem(r, 422, guard="consent_required")
    member_rp = world.login("member_rp")
    assert member_rp.get("/api/v1/referrals?direction=incoming").get_json()["items"] == []
    assert owner.patch(f"/api/v1/cases/{case.id}", json={"consent": "given"}).status_code == 200
    r = owner.post(f"/api/v1/cases/{case.id}/referrals", json=trauma)
    assert r.status_code == 201, r.get_json()
    ref = r.get_json()
    assert ref["state"] == "offered"
    inbox = member_rp.get("/api/v1/referrals?direction=incoming&state=offered").get_json()
    assert [i["id"] for i in inbox["items"]] == [ref["id"]]
    # The header is reduced until accepted.
    assert member_rp.get(f"/api/v1/cases/{case.id}").get_json()["access"] == "reduced"
    # Consent withdrawn between offer and accept: the guard names itself at accept too.
    assert owner.patch(f"/api/v1/cases/{case.id}", json={"consent": "refused"}).status_code == 200
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions",
                       json={"trigger": "accept", "version": ref["version"]})
    assert_problem(r, 422, guard="consent_required")
    r = owner.patch(f"/api/v1/cases/{case.id}", json={"consent": "given"})
    assert r.status_code == 200
    # The sender may not accept its own offer.
    assert_problem(owner.post(f"/api/v1/referrals/{ref['id']}/transitions",
                              json={"trigger": "accept"}), 403,
                   rule="recipient_reference_person")
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions",
                       json={"trigger": "accept", "version": 1})
    assert r.status_code == 200, r.get_json()
    assert member_rp.get(f"/api/v1/cases/{case.id}").get_json()["access"] == "full"
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions",
                       json={"trigger": "accept", "version": 2})
    assert_problem(r, 409)
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions",
                       json={"trigger": "start", "version": 1})
    assert_problem(r, 409)  # stale version
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions", json={"trigger": "start"})
    assert r.status_code == 200
    pathway = r.get_json()["partner_pathway"]
    assert (pathway["pathway"], pathway["state"]) == ("generic_service", "started")
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/pathway/transitions",
                       json={"trigger": "begin_work"})
    assert r.get_json()["state"] == "in_progress"
    assert_problem(owner.post(f"/api/v1/referrals/{ref['id']}/pathway/transitions",
                              json={"trigger": "finish"}), 403, rule="recipient_organisation")
    # The sender is told of every state change, without content.
    kinds = [n["kind"] for n in owner.get("/api/v1/notifications").get_json()["items"]]
    assert "referral_accepted" in kinds
    assert "referral_active" in kinds
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions",
                       json={"trigger": "complete"})
    assert_problem(r, 422, guard="outcome_given")
    r = member_rp.post(f"/api/v1/referrals/{ref['id']}/transitions",
                       json={"trigger": "complete", "outcome": "stable"})
    assert r.get_json()["state"] == "completed"
    assert_problem(member_rp.get(f"/api/v1/cases/{case.id}"), 404)


def test_decline_needs_a_reason_and_unknown_trigger_is_422(world):
    case = build(world)
    offered = world.login("offered_rp")
    ref = offered.get("/api/v1/referrals?direction=incoming").get_json()["items"][0]
    assert ref["case_id"] == str(case.id)
    assert_problem(offered.post(f"/api/v1/referrals/{ref['id']}/transitions",
                                json={"trigger": "teleport"}), 422)
    assert_problem(offered.post(f"/api/v1/referrals/{ref['id']}/transitions",
                                json={"trigger": "decline"}), 422, guard="reason_given")
    r = offered.post(f"/api/v1/referrals/{ref['id']}/transitions",
                     json={"trigger": "decline", "reason": "no capacity"})
    assert r.get_json()["state"] == "declined"
    assert_problem(offered.get(f"/api/v1/cases/{case.id}"), 404)


def test_coordination_referral_moves_coordination(world):
    case = build(world, state="screening")
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/referrals", json={
        "to_organisation_id": _org_id(world, "Justitiehuis Gent"), "kind": "coordination",
        "purpose": "take over coordination"})
    assert r.status_code == 201, r.get_json()
    jh = world.login("accepted_rp")
    r = jh.post(f"/api/v1/referrals/{r.get_json()['id']}/transitions", json={"trigger": "accept"})
    assert r.status_code == 200, r.get_json()
    header = jh.get(f"/api/v1/cases/{case.id}").get_json()
    assert header["coordinator_organisation_id"] == _org_id(world, "Justitiehuis Gent")
