"""End to end through the API: notes in compartments, disclosures, referrals and their pathways."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from referral.cases.notes.models import Note
from tests.case_world import build
from tests.helpers import assert_problem


def _org_id(world, name):
    return str(world.orgs[name].id)


def test_internal_note_stays_in_its_compartment_until_disclosed(world, dbs):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes",
                   json={"body": "Family reports growing isolation.", "compartment": "internal"})
    assert r.status_code == 201, r.get_json()
    note_id = r.get_json()["id"]
    # The body is stored encrypted, never in clear.
    stored = dbs.scalar(select(Note.body_ciphertext).where(Note.id == uuid.UUID(note_id)))
    dbs.rollback()
    assert b"isolation" not in stored
    assert [n["body"] for n in world.login("owner_cw").get(
        f"/api/v1/cases/{case.id}/notes").get_json()] == ["Family reports growing isolation."]
    partner = world.login("accepted_rp")
    police = world.login("police_io")
    chair = world.login("chair")
    for api in (partner, police, chair):
        assert api.get(f"/api/v1/cases/{case.id}/notes").get_json() == []
        assert_problem(api.get(f"/api/v1/notes/{note_id}"), 404)
    offered = world.login("offered_rp")
    assert_problem(offered.get(f"/api/v1/cases/{case.id}/notes"), 403,
                   rule="offered_referral_reduced")
    # Only the author organisation discloses; purpose and legal basis are required.
    assert_problem(partner.post(f"/api/v1/notes/{note_id}/disclosures", json={
        "audience": "case_team", "purpose": "p", "legal_basis": "b"}), 404)
    body = assert_problem(owner.post(f"/api/v1/notes/{note_id}/disclosures",
                                     json={"audience": "case_team"}), 422)
    assert set(body["errors"]) == {"purpose", "legal_basis"}
    r = owner.post(f"/api/v1/notes/{note_id}/disclosures", json={
        "audience": "case_team", "purpose": "coordinate housing support",
        "legal_basis": "art. 458ter Sw."})
    assert r.status_code == 201, r.get_json()
    disclosure_id = r.get_json()["id"]
    notes = partner.get(f"/api/v1/cases/{case.id}/notes").get_json()
    assert [(n["body"], n["access_rule"]) for n in notes] == [
        ("Family reports growing isolation.", "disclosed_case_team")]
    assert notes[0]["compartment"] == "internal"
    assert police.get(f"/api/v1/cases/{case.id}/notes").get_json() == []
    # Revocation is effective on the next request.
    assert_problem(partner.delete(f"/api/v1/disclosures/{disclosure_id}"), 404)
    assert owner.delete(f"/api/v1/disclosures/{disclosure_id}").status_code == 204
    assert partner.get(f"/api/v1/cases/{case.id}/notes").get_json() == []


def test_police_compartment(world):
    case = build(world)
    police = world.login("police_io")
    assert_problem(police.post(f"/api/v1/cases/{case.id}/notes",
                               json={"body": "x", "compartment": "internal"}), 403)
    r = police.post(f"/api/v1/cases/{case.id}/notes",
                    json={"body": "Known to the local police.", "compartment": "police"})
    assert r.status_code == 201
    assert [n["body"] for n in world.login("chair").get(
        f"/api/v1/cases/{case.id}/notes").get_json()] == ["Known to the local police."]
    for name in ("owner_rp", "accepted_rp", "member", "coordinator"):
        assert world.login(name).get(f"/api/v1/cases/{case.id}/notes").get_json() == []
    assert_problem(world.login("owner_rp").post(f"/api/v1/cases/{case.id}/notes",
                                                json={"body": "x", "compartment": "police"}),
                   403)


def test_note_length_limit(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes",
                   json={"body": "x" * 20_001, "compartment": "internal"})
    assert "body" in assert_problem(r, 422)["errors"]


def test_referral_inbox_accept_start_and_partner_pathway(world):
    case = build(world, state="screening")
    owner = world.login("owner_rp")
    vdab = _org_id(world, "VDAB Gent")
    offer = {"to_organisation_id": vdab, "kind": "service",
             "sphere_of_life": "social_context", "purpose": "job coaching"}
    # An offered VDAB referral exists already (from the world): a second one is a conflict.
    assert_problem(owner.post(f"/api/v1/cases/{case.id}/referrals", json=offer), 409)
    cgg = _org_id(world, "CGG Gent")
    r = owner.post(f"/api/v1/cases/{case.id}/referrals", json={**offer, "to_organisation_id": cgg,
                                                               "sphere_of_life": "trauma"})
    assert r.status_code == 201, r.get_json()
    ref = r.get_json()
    assert ref["state"] == "offered"
    member_rp = world.login("member_rp")
    inbox = member_rp.get("/api/v1/referrals?direction=incoming&state=offered").get_json()
    assert [i["id"] for i in inbox["items"]] == [ref["id"]]
    # The header is reduced until accepted.
    assert member_rp.get(f"/api/v1/cases/{case.id}").get_json()["access"] == "reduced"
    # Voluntary service without consent: the guard names itself.
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


def test_disclosing_one_note_discloses_only_that_note(world):
    case = build(world)
    owner = world.login("owner_rp")
    ids = [owner.post(f"/api/v1/cases/{case.id}/notes",
                      json={"body": text, "compartment": "internal"}).get_json()["id"]
           for text in ("shared with the team", "kept in our compartment")]
    r = owner.post(f"/api/v1/notes/{ids[0]}/disclosures", json={
        "audience": "case_team", "purpose": "coordination", "legal_basis": "art. 458ter Sw."})
    assert r.status_code == 201
    partner = world.login("accepted_rp")
    assert [n["body"] for n in partner.get(f"/api/v1/cases/{case.id}/notes").get_json()] == [
        "shared with the team"]
    assert_problem(partner.get(f"/api/v1/notes/{ids[1]}"), 404)
