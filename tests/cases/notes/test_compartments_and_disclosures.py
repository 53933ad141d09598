"""Notes through the API: compartments, encrypted bodies, length limit, disclosures and
their revocation."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from referral.cases.notes.models import Note
from tests.factories import assert_problem, build, in_session, user_id


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
    assert partner.get(f"/api/v1/cases/{case.id}/notes").get_json() == []
    # The LIVC's roles see notes only as meeting material (policies/README.md): without a
    # meeting the police officer has no relation, the chair only prepares agendas.
    assert_problem(police.get(f"/api/v1/cases/{case.id}/notes"), 404)
    assert_problem(chair.get(f"/api/v1/cases/{case.id}/notes"), 403, rule="livc_preparation")
    for api in (partner, police, chair):
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
    assert_problem(police.get(f"/api/v1/cases/{case.id}/notes"), 404)
    # Revocation is effective on the next request.
    assert_problem(partner.delete(f"/api/v1/disclosures/{disclosure_id}"), 404)
    assert owner.delete(f"/api/v1/disclosures/{disclosure_id}").status_code == 204
    assert partner.get(f"/api/v1/cases/{case.id}/notes").get_json() == []


def test_police_compartment(world):
    case, chair, meeting = in_session(world, state="guidance")
    police = world.login("police_io")
    url = f"/api/v1/cases/{case.id}/notes"
    # Outside a meeting the police information officer has no relation to the case.
    assert_problem(police.post(url, json={"body": "x", "compartment": "police"}), 404)
    mid = meeting["id"]
    r = chair.post(f"/api/v1/meetings/{mid}/attendees", json={"user_id": user_id(world,
                                                                                  "police_io")})
    assert r.status_code in {200, 201}, r.get_json()
    for api in (police, chair):
        assert api.post(f"/api/v1/meetings/{mid}/acknowledgements").status_code == 201
    assert_problem(police.post(url, json={"body": "x", "compartment": "internal"}), 403)
    r = police.post(url, json={"body": "Known to the local police.", "compartment": "police"})
    assert r.status_code == 201, r.get_json()
    assert [n["body"] for n in chair.get(url).get_json()] == ["Known to the local police."]
    for name in ("owner_rp", "accepted_rp"):
        assert world.login(name).get(url).get_json() == []
    # The coordinator prepares agendas (no notes); the member, not acknowledged, sees nothing.
    assert_problem(world.login("coordinator").get(url), 403, rule="livc_preparation")
    assert_problem(world.login("member").get(url), 404)
    assert_problem(world.login("owner_rp").post(url, json={"body": "x",
                                                           "compartment": "police"}), 403)


def test_note_length_limit(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes",
                   json={"body": "x" * 20_001, "compartment": "internal"})
    assert "body" in assert_problem(r, 422)["errors"]


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
