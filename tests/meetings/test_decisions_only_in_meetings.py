"""LIVC decisions happen in meetings: the chair cannot move a case along the LIVC's
transitions from the case page or the API, only by recording a decision of a meeting in
session that has the case on its agenda."""

from __future__ import annotations

import pytest

from tests.factories import assert_problem, build, in_session, org_id

OUTSIDE = [("proposed", "start_guidance", {}), ("proposed", "no_livc_case", {}),
           ("guidance", "step_down", {}), ("aftercare", "resume_guidance", {}),
           ("guidance", "close", {"outcome": "moved away"})]


@pytest.mark.parametrize(("state", "trigger", "extra"), OUTSIDE)
def test_the_chair_cannot_decide_outside_a_meeting(world, state, trigger, extra):
    case = build(world, state=state)
    chair = world.login("chair")
    r = chair.post(f"/api/v1/cases/{case.id}/transitions", json={"trigger": trigger, **extra})
    assert_problem(r, 422, guard="decided_in_meeting")
    assert chair.get(f"/api/v1/cases/{case.id}").get_json()["state"] == state


def test_the_case_page_says_why_in_words_of_the_rule(world):
    # Even in session, and acknowledged, the case's own transitions are not the way.
    case, chair, meeting = in_session(world, state="proposed")
    assert chair.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    offered = {t["trigger"]: t for t in
               chair.get(f"/api/v1/cases/{case.id}/transitions").get_json()}
    assert offered["start_guidance"]["allowed"] is False
    assert offered["start_guidance"]["reason"] == "decided_in_meeting"
    r = chair.post(f"/api/v1/cases/{case.id}/transitions", json={"trigger": "no_livc_case"})
    assert_problem(r, 422, guard="decided_in_meeting")


def test_the_same_decision_in_a_meeting_in_session_goes_through(world):
    case, chair, meeting = in_session(world, state="proposed")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Guidance starts.",
        "coordinator_organisation_id": org_id(world, "CAW Gent")})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["case_state"] == "guidance"


def test_no_decision_once_the_meeting_is_over(world):
    case, chair, meeting = in_session(world, state="proposed")
    assert chair.post(f"/api/v1/meetings/{meeting['id']}/transitions",
                      json={"trigger": "close"}).status_code == 200
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "no_livc_case", "text": "Not for the LIVC."})
    assert_problem(r, 409)
    assert chair.get(f"/api/v1/cases/{case.id}").get_json()["state"] == "proposed"
