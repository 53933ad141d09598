"""Free-text reasons are content: the organisation that wrote one reads it; the others see
that the step was taken, when and by which organisation, and that a reason was kept."""

from __future__ import annotations

from sqlalchemy import select

from referral.cases.referrals.models import Referral
from tests.factories import build, in_session, org_id

SECRET = "Family crisis at home; the mother asked us not to tell anyone"


def test_a_transition_reason_is_read_by_its_organisation_only(world):
    case = build(world, state="guidance")
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/transitions",
                   json={"trigger": "suspend", "reason": SECRET})
    assert r.status_code == 200, r.get_json()
    mine = owner.get(f"/api/v1/cases/{case.id}/history").get_json()[-1]
    assert (mine["trigger"], mine["reason"], mine["reason_withheld"]) == (
        "suspend", SECRET, False)
    partner = world.login("accepted_rp")
    theirs = partner.get(f"/api/v1/cases/{case.id}/history").get_json()[-1]
    assert theirs["trigger"] == "suspend"
    assert theirs["actor_organisation_id"] == org_id(world, "CAW Gent")
    assert (theirs["reason"], theirs["reason_withheld"]) == (None, True)
    assert "mother" not in partner.get(f"/api/v1/cases/{case.id}/history").get_data(
        as_text=True)


def test_a_decline_reason_stays_with_the_recipient(world, dbs):
    case = build(world, state="screening")
    offered = dbs.scalar(select(Referral.id).where(Referral.case_id == case.id,
                                                   Referral._state == "offered"))
    dbs.rollback()
    recipient = world.login("offered_rp")
    r = recipient.post(f"/api/v1/referrals/{offered}/transitions",
                       json={"trigger": "decline", "reason": "Known to us already: " + SECRET})
    assert r.status_code == 200, r.get_json()
    assert "mother" in recipient.get(f"/api/v1/referrals/{offered}").get_json()["reason"]
    sender = world.login("owner_rp").get(f"/api/v1/referrals/{offered}").get_json()
    assert (sender["state"], sender["reason"], sender["reason_withheld"]) == (
        "declined", None, True)
    listed = world.login("owner_rp").get(f"/api/v1/referrals?case_id={case.id}").get_data(
        as_text=True)
    assert "mother" not in listed


def test_a_livc_decision_entry_is_read_by_the_case_team(world):
    case, chair, meeting = in_session(world, state="proposed")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Guidance starts.",
        "coordinator_organisation_id": org_id(world, "CAW Gent")})
    assert r.status_code == 201, r.get_json()
    entry = world.login("owner_rp").get(f"/api/v1/cases/{case.id}/history").get_json()[-1]
    assert entry["reason"].startswith("LIVC decision start_programme")


def test_the_informing_ground_and_the_outcome_stay_with_the_managing_organisation(world):
    case = build(world, state="guidance")
    owner = world.login("owner_rp")
    ground = "GDPR art. 14(5)(b): informing the family would put the guidance at risk"
    assert owner.patch(f"/api/v1/cases/{case.id}", json={
        "informing_status": "not_informed", "informing_ground": ground}).status_code == 200
    assert owner.get(f"/api/v1/cases/{case.id}").get_json()["informing_ground"] == ground
    partner = world.login("accepted_rp").get(f"/api/v1/cases/{case.id}").get_json()
    assert (partner["informing_status"], partner["informing_ground"]) == ("not_informed", None)
    assert partner["withheld_fields"] == ["informing_ground"]
    page = world.login("accepted_rp").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "GDPR art. 14(5)(b)" not in page
