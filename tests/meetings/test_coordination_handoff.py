"""Appointing a coordinator is a hand-off the organisation must accept: until it accepts the
coordination referral it gains nothing, and the owner coordinates."""

from __future__ import annotations

from sqlalchemy import select

from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from tests.factories import assert_problem, in_session, note, org_id


def test_a_named_coordinator_gains_nothing_until_it_accepts(world, dbs):
    case, chair, meeting = in_session(world, state="proposed", referrals=False)
    note(world.login("owner_rp"), case.id, "For the case team.", disclose_to="case_team")
    cgg = org_id(world, "CGG Gent")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Guidance starts.",
        "coordinator_organisation_id": cgg})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["case_state"] == "guidance"
    coordinator = dbs.get(Case, case.id).coordinator_organisation_id
    offers = dbs.execute(select(Referral.id, Referral._state).where(
        Referral.case_id == case.id, Referral.kind == "coordination")).all()
    dbs.rollback()  # end the read: on SQLite it holds the write lock
    assert str(coordinator) == org_id(world, "CAW Gent")  # the owner coordinates, for now
    [(offer_id, offer_state)] = offers
    assert offer_state == "offered"
    cgg_rp = world.login("member_rp")
    # Until it accepts: the reduced header of an offer, no case-team notes.
    assert cgg_rp.get(f"/api/v1/cases/{case.id}").get_json()["access"] == "reduced"
    assert_problem(cgg_rp.get(f"/api/v1/cases/{case.id}/notes"), 403,
                   rule="offered_referral_reduced")
    r = cgg_rp.post(f"/api/v1/referrals/{offer_id}/transitions", json={"trigger": "accept"})
    assert r.status_code == 200, r.get_json()
    assert [n["body"] for n in cgg_rp.get(f"/api/v1/cases/{case.id}/notes").get_json()] == [
        "For the case team."]
    coordinator = dbs.get(Case, case.id, populate_existing=True).coordinator_organisation_id
    dbs.rollback()
    assert str(coordinator) == cgg


def test_a_coordinator_outside_the_livc_or_of_the_wrong_kind_is_refused(world):
    case, chair, meeting = in_session(world, state="proposed", referrals=False)
    url = f"/api/v1/meetings/{meeting['id']}/decisions"
    body = {"case_id": str(case.id), "decision": "start_programme", "text": "Guidance."}
    world.org("CAW Antwerpen", "caw")
    r = chair.post(url, json={**body, "coordinator_organisation_id": org_id(world,
                                                                            "CAW Antwerpen")})
    assert "coordinator_organisation_id" in assert_problem(r, 422)["errors"]
    r = chair.post(url, json={**body, "coordinator_organisation_id": org_id(world, "PZ Gent")})
    assert_problem(r, 422, rule="no_referral_to_police")
