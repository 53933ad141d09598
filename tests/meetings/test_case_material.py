"""Case material reaches the LIVC only as meeting material: an attendee who acknowledged
secrecy for a meeting that has the case on its agenda.  Without it the chair and the
coordinator see what preparing an agenda needs, and the members and the police information
officer see nothing."""

from __future__ import annotations

import pytest

from tests.factories import assert_problem, build, in_session, note, user_id

PREPARATION = {"id", "reference", "pseudonym", "age_band", "state", "livc_id", "opened_at",
               "screening_due", "next_review_due", "access", "access_rule"}


@pytest.mark.parametrize("name", ["chair", "coordinator"])
def test_preparing_an_agenda_shows_no_reasons(world, name):
    case = build(world, state="proposed")
    owner = world.login("owner_rp")
    assert owner.patch(f"/api/v1/cases/{case.id}", json={
        "informing_status": "not_informed",
        "informing_ground": "GDPR art. 14(5)(d): informing would endanger the guidance"},
    ).status_code == 200
    api = world.login(name)
    body = api.get(f"/api/v1/cases/{case.id}").get_json()
    assert set(body) == PREPARATION
    assert (body["access"], body["access_rule"]) == ("reduced", "livc_preparation")
    assert "informing" not in api.get(f"/api/v1/cases/{case.id}").get_data(as_text=True)
    for path in ("history", "transitions", "notes"):
        assert_problem(api.get(f"/api/v1/cases/{case.id}/{path}"), 403, rule="livc_preparation")
    listed = api.get("/api/v1/cases").get_json()["items"]
    assert [set(c) for c in listed if c["id"] == str(case.id)] == [PREPARATION]
    page = api.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "GDPR art. 14" not in page


@pytest.mark.parametrize("name", ["member", "police_io"])
def test_members_and_the_police_see_nothing_outside_a_meeting(world, name):
    case = build(world, state="guidance")
    api = world.login(name)
    assert_problem(api.get(f"/api/v1/cases/{case.id}"), 404)
    assert_problem(api.get(f"/api/v1/cases/{case.id}/history"), 404)
    assert str(case.id) not in api.get("/api/v1/cases").get_data(as_text=True)


def test_acknowledging_the_meeting_opens_the_case_as_meeting_material(world):
    case, chair, meeting = in_session(world, state="guidance")
    note(world.login("owner_rp"), case.id, "Shared for the consultation.", disclose_to="livc")
    member = world.login("member")
    assert_problem(member.get(f"/api/v1/cases/{case.id}"), 404)
    assert member.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    body = member.get(f"/api/v1/cases/{case.id}").get_json()
    assert (body["access"], body["access_rule"]) == ("full", "livc_consultation")
    assert [n["body"] for n in member.get(f"/api/v1/cases/{case.id}/notes").get_json()] == [
        "Shared for the consultation."]
    # The chair, too, reads notes only once acknowledged.
    assert_problem(chair.get(f"/api/v1/cases/{case.id}/notes"), 403, rule="livc_preparation")
    assert chair.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    assert chair.get(f"/api/v1/cases/{case.id}/notes").status_code == 200
    # Another LIVC member, attending but not acknowledged, still sees nothing.
    world.user("member2", "CGG Gent", ["livc_member"])
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/attendees",
                   json={"user_id": user_id(world, "member2")})
    assert r.status_code in {200, 201}
    assert_problem(world.login("member2").get(f"/api/v1/cases/{case.id}"), 404)


def test_the_chair_reidentifies_only_as_an_acknowledged_attendee(world):
    case, chair, meeting = in_session(world, state="guidance")
    url = f"/api/v1/cases/{case.id}/reidentify"
    assert_problem(chair.post(url, json={"reason": "meeting the person"}), 403,
                   rule="livc_preparation")
    assert chair.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    r = chair.post(url, json={"reason": "meeting the person"})
    assert r.status_code == 200, r.get_json()
