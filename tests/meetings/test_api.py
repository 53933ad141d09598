"""Meetings through the API: composition gate, who sees what, agenda, pathway, minutes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from referral.core import clock
from referral.core.ledger.models import AuditEvent
from referral.meetings.models import Meeting
from tests.factories import (
    assert_problem,
    build,
    count,
    in_session,
    make_case,
    note,
    org_id,
    plan,
    put,
    user_id,
    when,
)


def test_composition_gate_names_what_is_missing(world):
    for name, kind in (("Stad Gent", "municipality"), ("PZ Gent", "police"), ("CGG", "caw")):
        world.org(name, kind)
    livc = world.make_livc(members=("Stad Gent", "PZ Gent", "CGG"))
    world.user("coordinator", "Stad Gent", ["livc_coordinator"])
    world.user("member", "CGG", ["livc_member"])
    coordinator = world.login("coordinator")
    url = f"/api/v1/livcs/{livc.id}/meetings"
    body = {"scheduled_at": when(), "attendee_user_ids": []}
    problem = assert_problem(coordinator.post(url, json=body), 422)
    assert problem["missing"] == ["chair", "police_information_officer"]
    assert "livc" in problem["errors"]
    world.user("chair", "Stad Gent", ["livc_chair"])
    # A police information officer without the clearance does not count.
    world.user("pio_low", "PZ Gent", ["police_information_officer"], clearance="confidential")
    problem = assert_problem(coordinator.post(url, json=body), 422)
    assert problem["missing"] == ["police_information_officer"]
    world.user("pio", "PZ Gent", ["police_information_officer"], clearance="secret")
    # Only the chair and the coordinator plan meetings.
    assert_problem(world.login("member").post(url, json=body), 403, rule="meeting_manager")
    r = coordinator.post(url, json={**body, "attendee_user_ids": [user_id(world, "member")]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["state"] == "planned"
    assert r.headers["ETag"] == '"v1"'
    assert_problem(coordinator.post(f"/api/v1/livcs/{uuid.uuid4()}/meetings", json=body), 404)


def test_attendees_are_livc_users_of_member_organisations(world):
    build(world)
    chair = world.login("chair")
    for outsider in ("elsewhere_rp", "member_rp"):  # no member org; member org but no LIVC role
        r = chair.post(f"/api/v1/livcs/{world.livc.id}/meetings", json={
            "scheduled_at": when(), "attendee_user_ids": [user_id(world, outsider)]})
        assert "attendee_user_ids" in assert_problem(r, 422)["errors"]


def test_unrelated_users_get_404_related_ones_403(world):
    build(world)
    chair = world.login("chair")
    meeting = plan(world, chair, attendees=("coordinator", "member"))
    url = f"/api/v1/meetings/{meeting['id']}"
    for name in ("police_io", "owner_rp", "elsewhere_rp", "auditor1", "admin1"):
        api = world.login(name)
        assert_problem(api.get(url), 404)
        assert_problem(api.post(f"{url}/acknowledgements"), 404)
        assert_problem(api.get(f"{url}/calendar.ics"), 404)
    member = world.login("member")
    assert member.get(url).status_code == 200
    assert_problem(member.post(f"{url}/transitions", json={"trigger": "open"}), 403,
                   rule="meeting_manager")
    assert_problem(member.post(f"{url}/agenda", json={"case_id": str(uuid.uuid4()),
                                                      "reason": "new"}), 403,
                   rule="meeting_manager")
    # The chair manages the meeting without attending it: no acknowledgement, no material.
    assert chair.get(url).status_code == 200
    assert_problem(chair.post(f"{url}/acknowledgements"), 403, rule="meeting_attendee")
    assert_problem(chair.get(f"{url}/minutes"), 403, rule="secrecy_acknowledged")


def test_material_is_hidden_until_the_secrecy_duty_is_acknowledged(world, dbs):
    case = build(world, state="proposed")
    owner = world.login("owner_rp")
    note(owner, case.id, "Shared with the consultation: attends the youth centre again.", "livc")
    note(owner, case.id, "Kept in our compartment: family conflict details.")
    note(owner, case.id, "Shared with the case team only.", "case_team")
    world.login("police_io").post(f"/api/v1/cases/{case.id}/notes", json={
        "body": "Police information, never meeting material.", "compartment": "police"})
    chair = world.login("chair")
    meeting = plan(world, chair)
    url = f"/api/v1/meetings/{meeting['id']}"
    assert chair.post(f"{url}/agenda", json={"case_id": str(case.id),
                                             "reason": "new"}).status_code == 201
    member = world.login("member")
    before = member.get(url).get_json()
    assert before["acknowledged"] is False
    assert "458ter" in before["secrecy_wording"]
    [item] = before["agenda"]
    assert set(item) == {"id", "pseudonym", "reason", "position", "access"}
    assert item["access"] == "pseudonym_only"
    assert_problem(member.get(f"{url}/minutes"), 403, rule="secrecy_acknowledged")
    assert_problem(member.get(f"/meetings/{meeting['id']}/agenda/print",
                              headers={"Accept": "application/json"}), 403)
    r = member.post(f"{url}/acknowledgements")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["wording_version"] == 1
    assert_problem(member.post(f"{url}/acknowledgements"), 409)
    after = member.get(url)
    body = after.get_json()
    material = body["agenda"][0]["material"]
    assert body["acknowledged"] is True
    assert material["case"]["id"] == str(case.id)
    assert [n["body"] for n in material["notes"]] == [
        "Shared with the consultation: attends the youth centre again."]
    assert {r["state"] for r in material["referrals"]} == {"offered", "accepted"}
    assert all("purpose" not in r for r in material["referrals"])
    text = after.get_data(as_text=True)
    for secret in ("Peeters", "family conflict", "case team only", "Police information",
                   "help with housing"):
        assert secret not in text
    # Every read of material is on the audit trail.
    events = dbs.execute(select(AuditEvent.action, AuditEvent.purpose)
                         .where(AuditEvent.actor_user_id == uuid.UUID(
                             user_id(world, "member")))).all()
    dbs.rollback()
    assert ("note:read", f"meeting {meeting['id']}") in events
    assert ("meeting:material", f"meeting {meeting['id']}") in events
    printed = member.get(f"/meetings/{meeting['id']}/agenda/print")
    assert printed.status_code == 200
    page = printed.get_data(as_text=True)
    assert item["pseudonym"] in page
    assert "youth centre" not in page


def test_agenda_only_takes_cases_of_the_meetings_own_livc(world):
    from referral.accounts.models import RoleAssignment
    from referral.organisations.models import Livc, LivcMunicipality

    case = build(world, state="proposed")
    first, chair_id = world.livc, uuid.UUID(user_id(world, "chair"))
    with world.session() as s:
        other = Livc(name="LIVC Elders", municipalities=[LivcMunicipality(nis_code="44084")])
        s.add(other)
        s.flush()
        s.add(RoleAssignment(user_id=chair_id, role="livc_chair", livc_id=other.id))
        s.commit()
        world.livc = other
    foreign = make_case(world, state="proposed")
    world.livc = first
    chair = world.login("chair")
    url = f"/api/v1/meetings/{plan(world, chair)['id']}/agenda"
    r = chair.post(url, json={"case_id": str(foreign.id), "reason": "new"})
    assert "case_id" in assert_problem(r, 422)["errors"]
    assert_problem(chair.post(url, json={"case_id": str(uuid.uuid4()), "reason": "new"}), 404)
    assert_problem(chair.post(url, json={"case_id": str(case.id), "reason": "later"}), 422)
    assert chair.post(url, json={"case_id": str(case.id), "reason": "urgent"}).status_code == 201
    assert_problem(chair.post(url, json={"case_id": str(case.id), "reason": "review"}), 409)


def test_agenda_suggestions_propose_new_and_due_reviews(world):
    from sqlalchemy import update

    from referral.cases.models import Case

    proposed = build(world, state="proposed")
    today = clock.now().date()
    due_soon, later, overdue = (make_case(world, state="guidance") for _ in range(3))
    with world.session() as s:
        for c, days in ((due_soon, 10), (later, 40), (overdue, -3)):
            s.execute(update(Case).where(Case.id == c.id).values(
                next_review_due=today + timedelta(days=days)))
        s.commit()
    chair = world.login("chair")
    on = (today + timedelta(days=14)).isoformat()
    r = chair.get(f"/api/v1/livcs/{world.livc.id}/agenda-suggestions?date={on}")
    assert r.status_code == 200, r.get_json()
    got = {s["case_id"]: (s["reason"], s["overdue"]) for s in r.get_json()}
    assert got == {str(proposed.id): ("new", False), str(due_soon.id): ("review", False),
                   str(overdue.id): ("review", True)}
    assert_problem(world.login("member").get(
        f"/api/v1/livcs/{world.livc.id}/agenda-suggestions"), 403, rule="meeting_manager")


def test_meeting_pathway_and_immutable_minutes(world, dbs):
    _case, chair, meeting = in_session(world)
    url = f"/api/v1/meetings/{meeting['id']}"
    assert meeting["state"] == "in_session"
    coordinator = world.login("coordinator")
    assert_problem(put(chair, f"{url}/minutes", {"text": "x"}), 403, rule="minutes_coordinator")

    def draft(text, **extra):
        return put(coordinator, f"{url}/minutes", {"text": text, **extra})

    r = draft("Attendees discussed one case; decisions recorded.")
    assert r.status_code == 200, r.get_json()
    stored = dbs.scalar(select(Meeting.minutes_ciphertext).where(
        Meeting.id == uuid.UUID(meeting["id"])))
    dbs.rollback()
    assert b"decisions recorded" not in stored
    assert_problem(draft("stale", version=1), 409)
    assert chair.post(f"{url}/transitions", json={"trigger": "close"}).status_code == 200
    assert_problem(coordinator.post(f"{url}/transitions", json={"trigger": "approve_minutes"}),
                   403, rule="minutes_chair")
    r = chair.post(f"{url}/transitions", json={"trigger": "approve_minutes"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "minutes_approved"
    assert r.get_json()["minutes_approved_at"]
    assert_problem(draft("Rewritten afterwards."), 409)
    coordinator.post(f"{url}/acknowledgements")
    assert coordinator.get(f"{url}/minutes").get_json()["text"] == (
        "Attendees discussed one case; decisions recorded.")
    assert count(dbs, Meeting, id=meeting["id"]) == 1


def test_minutes_must_be_drafted_before_approval_and_cancel(world):
    _case, chair, meeting = in_session(world)
    url = f"/api/v1/meetings/{meeting['id']}"
    assert chair.post(f"{url}/transitions", json={"trigger": "close"}).status_code == 200
    assert_problem(chair.post(f"{url}/transitions", json={"trigger": "approve_minutes"}), 422,
                   guard="minutes_drafted")
    assert_problem(chair.post(f"{url}/transitions", json={"trigger": "cancel"}), 409)
    other = plan(world, chair)
    r = chair.post(f"/api/v1/meetings/{other['id']}/transitions",
                   json={"trigger": "cancel", "version": other["version"]})
    assert r.get_json()["state"] == "cancelled"
    assert_problem(chair.post(f"/api/v1/meetings/{other['id']}/transitions",
                              json={"trigger": "teleport"}), 422)


def test_calendar_file_has_no_case_data(world):
    case, _chair, meeting = in_session(world)
    r = world.login("member").get(f"/api/v1/meetings/{meeting['id']}/calendar.ics")
    assert r.status_code == 200
    assert r.mimetype == "text/calendar"
    ics = r.get_data(as_text=True)
    assert ics.startswith("BEGIN:VCALENDAR\r\n")
    assert "LOCATION:Town hall\\, room 2" in ics
    assert f"UID:meeting-{meeting['id']}@livc-referral" in ics
    assert str(case.id) not in ics
    assert "T-" not in ics  # no case reference
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    assert org_id(world, "CAW Gent") not in ics


def test_workspace_page_acknowledges_with_a_form(world):
    case = build(world, state="proposed")
    note(world.login("owner_rp"), case.id, "Disclosed: prefers meetings in the afternoon.", "livc")
    chair = world.login("chair")
    meeting = plan(world, chair)
    chair.post(f"/api/v1/meetings/{meeting['id']}/agenda", json={"case_id": str(case.id),
                                                                  "reason": "new"})
    page = f"/meetings/{meeting['id']}"
    assert world.app.test_client().get(page).status_code == 302  # to the login page
    member = world.login("member")
    before = member.get(page).get_data(as_text=True)
    assert "458ter" in before
    assert "afternoon" not in before
    form = member.client.post(f"{page}/acknowledge", data={})  # no CSRF token
    assert form.status_code == 403
    r = member.client.post(f"{page}/acknowledge", data={"csrf_token": member.csrf})
    assert r.status_code == 302
    after = member.get(page).get_data(as_text=True)
    assert "afternoon" in after
    assert "<script" not in after
    assert "style=" not in after
