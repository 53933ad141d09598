"""The right to speak, no duty: an attending partner records that it holds information it
does not share (a category, no content); the other attendees see only that it does."""

from __future__ import annotations

from tests.factories import assert_problem, in_session, make_case, org_id
from tests.meetings.actions_support import events, missing


def _acknowledge(api, meeting):
    r = api.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements")
    assert r.status_code == 201, r.get_json()


def _withhold(api, meeting, case_id, category="professional_secrecy"):
    return api.post(f"/api/v1/meetings/{meeting['id']}/withheld",
                    json={"case_id": str(case_id), "reason_category": category})


def test_an_attendee_records_it_and_the_others_see_only_who(world):
    case, chair, meeting = in_session(world, state="proposed")
    member = world.login("member")  # CGG Gent
    _acknowledge(member, meeting)
    r = _withhold(member, meeting, case.id, "no_consent")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["case_id"], body["organisation_id"], body["reason_category"], body["own"]) == (
        str(case.id), org_id(world, "CGG Gent"), "no_consent", True)
    [event] = events(world, "meeting:record_withheld")
    assert (event.case_id, event.rule, event.outcome) == (case.id, "withheld_notice", "allowed")
    assert event.purpose == f"meeting {meeting['id']}: no_consent"
    _acknowledge(chair, meeting)
    url = f"/api/v1/meetings/{meeting['id']}/withheld"
    r = chair.get(url)
    assert r.status_code == 200, r.get_json()
    [seen] = r.get_json()
    assert (seen["organisation_name"], seen["case_id"], seen["own"], seen["reason_category"]) \
        == ("CGG Gent", str(case.id), False, None)
    assert "no_consent" not in r.get_data(as_text=True)
    assert member.get(url).get_json()[0]["reason_category"] == "no_consent"
    assert {e.rule for e in events(world, "meeting:read_withheld")} == {"secrecy_acknowledged"}


def test_it_is_never_required_and_blocks_nothing(world):
    case, chair, meeting = in_session(world, state="proposed")
    member = world.login("member")
    _acknowledge(member, meeting)
    assert _withhold(member, meeting, case.id).status_code == 201
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Guidance starts.",
        "coordinator_organisation_id": org_id(world, "CAW Gent")})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["case_state"] == "guidance"


def test_the_refusals(world):
    case, chair, meeting = in_session(world, state="proposed")
    member, coordinator = world.login("member"), world.login("coordinator")
    _acknowledge(member, meeting)
    problem = assert_problem(_withhold(member, meeting, case.id, "too_sensitive"), 422)
    assert list(problem["errors"]) == ["reason_category"]
    assert "reason_category" in assert_problem(member.post(
        f"/api/v1/meetings/{meeting['id']}/withheld", json={"case_id": str(case.id)}),
        422)["errors"]
    assert "content" in assert_problem(member.post(
        f"/api/v1/meetings/{meeting['id']}/withheld", json={
            "case_id": str(case.id), "reason_category": "other", "content": "a secret"}),
        422)["errors"]
    # A case that is not on this meeting's agenda, or no case at all: 404.
    elsewhere = make_case(world, state="guidance")
    absent = assert_problem(_withhold(member, meeting, missing()), 404)
    assert assert_problem(_withhold(member, meeting, elsewhere.id), 404)["detail"] == \
        absent["detail"]
    # Attending without acknowledging the secrecy duty: 403.
    assert_problem(_withhold(coordinator, meeting, case.id), 403, rule="withheld_notice")
    assert_problem(coordinator.get(f"/api/v1/meetings/{meeting['id']}/withheld"), 403,
                   rule="secrecy_acknowledged")
    # No relation to the meeting: it does not exist.
    gone = assert_problem(world.login("elsewhere_rp").post(
        f"/api/v1/meetings/{missing()}/withheld",
        json={"case_id": str(case.id), "reason_category": "other"}), 404)
    for name in ("elsewhere_rp", "owner_rp", "police_io", "accepted_rp"):
        api = world.login(name)
        assert assert_problem(_withhold(api, meeting, case.id), 404)["detail"] == gone["detail"]
        assert_problem(api.get(f"/api/v1/meetings/{meeting['id']}/withheld"), 404)
    # Once per organisation, case and meeting; and not after the meeting.
    assert _withhold(member, meeting, case.id).status_code == 201
    assert_problem(_withhold(member, meeting, case.id, "other"), 409)
    chair.post(f"/api/v1/meetings/{meeting['id']}/transitions", json={"trigger": "close"})
    _acknowledge(chair, meeting)
    assert_problem(_withhold(chair, meeting, case.id), 409)
    recorded = events(world, "meeting:record_withheld")
    assert [e.outcome for e in recorded].count("allowed") == 1
    assert {(e.outcome, e.rule) for e in recorded if e.outcome == "denied"} == {
        ("denied", "no_relation"), ("denied", "withheld_notice")}
