"""Who reads a draft feedback sheet, and what the printed draft says to them."""

from __future__ import annotations

from tests.factories import assert_problem, in_session, user_id

TEXT = "The partners follow up together; no police action is asked."


def _draft(world):
    case, chair, meeting = in_session(world, state="guidance")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/feedback-sheets",
                   json={"case_id": str(case.id), "text": TEXT})
    assert r.status_code == 201, r.get_json()
    return chair, meeting, r.get_json()["id"]


def test_an_attending_police_officer_reads_and_approves_the_draft(world):
    chair, meeting, sheet_id = _draft(world)
    mid = meeting["id"]
    assert chair.post(f"/api/v1/meetings/{mid}/attendees",
                      json={"user_id": user_id(world, "police_io")}).status_code in {200, 201}
    police = world.login("police_io")
    assert police.post(f"/api/v1/meetings/{mid}/acknowledgements").status_code == 201
    # Found by a review: invited and acknowledged but marked absent, the officer read the
    # draft.  Attending means present.
    presence = f"/api/v1/meetings/{mid}/attendees/{user_id(world, 'police_io')}"
    assert chair.patch(presence, json={"present": False}).status_code == 200
    assert_problem(police.get(f"/api/v1/feedback-sheets/{sheet_id}"), 403,
                   rule="feedback_issued_only")
    assert chair.patch(presence, json={"present": True}).status_code == 200
    assert police.get(f"/api/v1/feedback-sheets/{sheet_id}").get_json()["state"] == "draft"
    police.post("/language", data={"language": "en", "csrf_token": police.csrf})
    page = police.get(f"/feedback-sheets/{sheet_id}/print").get_data(as_text=True)
    assert "Not for the police" not in page
    assert "the police information officer included when attending" in page


def test_a_police_officer_outside_the_meeting_waits_for_the_issued_sheet(world):
    _chair, _meeting, sheet_id = _draft(world)
    police = world.login("police_io")
    assert_problem(police.get(f"/api/v1/feedback-sheets/{sheet_id}"), 403,
                   rule="feedback_issued_only")
    assert police.get(f"/feedback-sheets/{sheet_id}/print").status_code == 403
