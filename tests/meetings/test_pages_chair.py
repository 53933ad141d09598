"""The LIVC chair's journey through the pages, in Dutch: the LIVC overview, planning a
meeting in Brussels time, the agenda from its suggestions, the secrecy acknowledgement,
opening the session, a decision with an action, and the feedback sheet to its issue."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from referral.cases.models import Case
from referral.core import clock
from referral.meetings.models import Action, AgendaItem, Decision, FeedbackSheet, Meeting
from tests.factories import build, note, org_id, plan, user_id
from tests.meetings.pages_support import (
    brussels_day,
    expected_utc,
    form,
    html,
    in_dutch,
    plan_through_the_page,
    visible,
)

SHARED = "Gedeeld met het overleg: gaat opnieuw naar het jeugdhuis."
PARAPHRASE = "De partners volgen samen op; volgende evaluatie binnen drie maanden."


def test_the_livc_overview_shows_members_the_composition_gate_and_invitations(world):
    build(world, state="proposed")
    chair = world.login("chair")
    r = chair.get("/livcs")
    assert r.status_code == 302  # one LIVC: straight to its page
    page = html(chair.get(r.headers["Location"]))
    assert '<html lang="nl-BE">' in page
    assert "Samengesteld zoals de wet het vraagt" in page
    for name in ("CAW Gent", "VDAB Gent", "Justitiehuis Gent", "PZ Gent"):
        assert name in page
    assert str(world.livc.id) not in visible(page)  # a LIVC by its name, never its id
    assert "Uitgenodigd op" in page
    assert "Vergadering plannen" in page
    # The chair attends by default: their box is ticked, the member's is not.
    chair_box = f'id="attendee-{user_id(world, "chair")}" name="attendee_user_ids" ' \
                f'value="{user_id(world, "chair")}" checked'
    assert chair_box in page
    assert f'value="{user_id(world, "member")}" checked' not in page


def test_a_livc_without_its_fixed_members_cannot_plan(world, dbs):
    from referral.accounts.models import User

    build(world, state="proposed")
    police = dbs.scalar(select(User).where(User.username == "police_io"))
    police.active = False
    dbs.commit()
    chair = world.login("chair")
    page = html(chair.get(f"/livcs/{world.livc.id}"))
    assert "kan nog niet vergaderen" in page
    assert "Ontbreekt nog:" in page
    assert in_dutch(world, "police_information_officer", "role") in page
    assert 'action="/livcs/' not in page  # no planning form
    r = form(chair, f"/livcs/{world.livc.id}/meetings", {
        "date": brussels_day(), "time": "10:00",
        "attendee_user_ids": [user_id(world, "chair")]})
    assert r.status_code == 422
    assert "vaste leden" in html(r)


def test_planning_takes_brussels_time_and_refuses_a_missing_date_inline(world, dbs):
    build(world, state="proposed")
    chair = world.login("chair")
    r = form(chair, f"/livcs/{world.livc.id}/meetings", {
        "date": "", "time": "14:30", "location": "Stadhuis",
        "attendee_user_ids": [user_id(world, "chair")]})
    assert r.status_code == 422
    page = html(r)
    assert 'class="field-error" id="plan-when-error"' in page
    assert 'value="Stadhuis"' in page  # what was typed is kept
    day = brussels_day(10)
    meeting_id = plan_through_the_page(world, chair, day=day, at="14:30")
    meeting = dbs.get(Meeting, uuid.UUID(meeting_id))
    scheduled = meeting.scheduled_at.replace(tzinfo=None)
    dbs.rollback()
    # Stored in UTC, as the API stores it; the page shows it back in Brussels time.
    assert scheduled == expected_utc(day, "14:30")
    page = html(chair.get(f"/meetings/{meeting_id}"))
    assert "14:30" in page
    assert "Gepland" in page or "gepland" in page
    listed = html(chair.get("/meetings"))
    assert f"/meetings/{meeting_id}" in listed
    assert "14:30" in listed


def test_the_chair_runs_a_meeting_from_plan_to_feedback_sheet(world, dbs):
    case = build(world, state="proposed")
    owner = world.login("owner_rp")
    note(owner, case.id, SHARED, "livc")
    chair = world.login("chair")
    meeting_id = plan_through_the_page(world, chair)
    page_url = f"/meetings/{meeting_id}"

    # The proposed case is suggested; the chair puts it on the agenda.
    page = html(chair.get(page_url))
    assert "Voorstellen voor de dagorde" in page
    assert case.reference in page
    r = form(chair, f"{page_url}/agenda", {"case_id": str(case.id), "reason": "new"})
    assert r.status_code == 302
    assert dbs.scalar(select(AgendaItem.case_id).where(
        AgendaItem.meeting_id == uuid.UUID(meeting_id))) == case.id
    dbs.rollback()

    # Before acknowledging, even the chair sees the pseudonym only.
    page = html(chair.get(page_url))
    assert SHARED not in page
    assert "Ik erken de geheimhoudingsplicht voor deze vergadering" in page
    assert form(chair, f"{page_url}/acknowledge").status_code == 302
    page = html(chair.get(page_url))
    assert SHARED in page
    assert case.reference in page

    # Opening the session.
    version = dbs.get(Meeting, uuid.UUID(meeting_id)).version
    dbs.rollback()
    r = form(chair, f"{page_url}/transition", {"trigger": "open", "version": version})
    assert r.status_code == 302
    page = html(chair.get(page_url))
    assert "Een beslissing vastleggen" in page

    # A decision: start a programme coordinated by the owner, with an action.
    due = (clock.now() + timedelta(days=21)).date().isoformat()
    r = form(chair, f"{page_url}/decisions", {
        "case_id": str(case.id), "decision": "start_programme",
        "text": "Begeleiding door het CAW, opvolging over drie maanden.",
        "coordinator_organisation_id": org_id(world, "CAW Gent"),
        "action-0-organisation_id": org_id(world, "CAW Gent"),
        "action-0-description": "Intakegesprek plannen", "action-0-due": due})
    assert r.status_code == 302, html(r)
    assert dbs.scalar(select(Case._state).where(Case.id == case.id)) == "guidance"
    assert dbs.scalar(select(Decision.decision).where(Decision.case_id == case.id)) == \
        "start_programme"
    action = dbs.scalar(select(Action).where(Action.case_id == case.id))
    assert (action.description, action.due.isoformat()) == ("Intakegesprek plannen", due)
    dbs.rollback()
    page = html(chair.get(page_url))
    assert "Intakegesprek plannen" in page
    assert "Begeleiding door het CAW" in page

    # The feedback sheet: drafted by the chair, approved by every attendee present.
    r = form(chair, f"{page_url}/feedback-sheets", {"case_id": str(case.id),
                                                    "text": PARAPHRASE})
    assert r.status_code == 302, html(r)
    sheet_id = dbs.scalar(select(FeedbackSheet.id).where(FeedbackSheet.case_id == case.id))
    dbs.rollback()
    page = html(chair.get(page_url))
    assert PARAPHRASE in page
    assert "nog goed te keuren" in page
    assert "Ik keur deze terugkoppelingsfiche goed" in page
    for name in ("chair", "coordinator", "member"):
        api = chair if name == "chair" else world.login(name)
        if name != "chair":
            assert form(api, f"{page_url}/acknowledge").status_code == 302
        r = form(api, f"/feedback-sheets/{sheet_id}/approve", {"case_id": str(case.id)})
        assert r.status_code == 302
    assert dbs.scalar(select(FeedbackSheet.state).where(FeedbackSheet.id == sheet_id)) == \
        "issued"
    dbs.rollback()
    page = html(chair.get(page_url))
    assert "uitgereikt op" in page

    # Closing the session and the minutes: drafted by the coordinator, approved by the chair.
    version = dbs.get(Meeting, uuid.UUID(meeting_id)).version
    dbs.rollback()
    assert form(chair, f"{page_url}/transition", {"trigger": "close",
                                                  "version": version}).status_code == 302
    coordinator = world.login("coordinator")
    version = dbs.get(Meeting, uuid.UUID(meeting_id)).version
    dbs.rollback()
    r = form(coordinator, f"{page_url}/minutes", {"text": "Een casus besproken.",
                                                  "version": version})
    assert r.status_code == 302
    assert "Een casus besproken." in html(coordinator.get(page_url))
    version = dbs.get(Meeting, uuid.UUID(meeting_id)).version
    dbs.rollback()
    assert form(chair, f"{page_url}/transition", {"trigger": "approve_minutes",
                                                  "version": version}).status_code == 302
    assert dbs.scalar(select(Meeting._state).where(Meeting.id == uuid.UUID(meeting_id))) == \
        "minutes_approved"
    dbs.rollback()


def test_a_refused_decision_comes_back_with_its_messages_and_input(world):
    case = build(world, state="proposed")
    chair = world.login("chair")
    meeting = plan(world, chair)
    url = f"/api/v1/meetings/{meeting['id']}"
    assert chair.post(f"{url}/agenda", json={"case_id": str(case.id),
                                             "reason": "new"}).status_code == 201
    assert chair.post(f"{url}/transitions", json={"trigger": "open"}).status_code == 200
    r = form(chair, f"/meetings/{meeting['id']}/decisions", {
        "case_id": str(case.id), "decision": "start_programme", "text": "Mijn tekst blijft",
        "action-0-organisation_id": org_id(world, "CAW Gent"),
        "action-0-description": "Te laat", "action-0-due": "2001-01-01"})
    assert r.status_code == 422
    page = html(r)
    assert "coördinerende lidorganisatie" in page  # no coordinator chosen
    assert "De uiterste datum is al voorbij." in page
    assert "Mijn tekst blijft" in page
    assert 'value="Te laat"' in page
    assert "actions.0" not in page
    assert "coordinator_organisation_id:" not in page


def test_an_agenda_item_comes_off_until_the_meeting_decided_on_it(world, dbs):
    case = build(world, state="proposed")
    chair = world.login("chair")
    meeting_id = plan_through_the_page(world, chair)
    form(chair, f"/meetings/{meeting_id}/agenda", {"case_id": str(case.id), "reason": "new"})
    item_id = dbs.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == uuid.UUID(meeting_id)))
    dbs.rollback()
    r = form(chair, f"/meetings/{meeting_id}/agenda/{item_id}/remove")
    assert r.status_code == 302
    assert dbs.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == uuid.UUID(meeting_id))) is None
    dbs.rollback()
    # Put back, decided on in session: then it stays.
    form(chair, f"/meetings/{meeting_id}/agenda", {"case_id": str(case.id), "reason": "new"})
    api = f"/api/v1/meetings/{meeting_id}"
    assert chair.post(f"{api}/transitions", json={"trigger": "open"}).status_code == 200
    assert chair.post(f"{api}/decisions", json={
        "case_id": str(case.id), "decision": "no_livc_case",
        "text": "Geen LIVC-casus."}).status_code == 201
    item_id = dbs.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == uuid.UUID(meeting_id)))
    dbs.rollback()
    r = form(chair, f"/meetings/{meeting_id}/agenda/{item_id}/remove")
    assert r.status_code == 302
    assert dbs.scalar(select(AgendaItem.id).where(AgendaItem.id == item_id)) == item_id
    dbs.rollback()
    assert "het blijft op de dagorde" in html(chair.get(f"/meetings/{meeting_id}"))


def test_presence_and_invitations_from_the_attendee_table(world, dbs):
    from referral.meetings.models import MeetingAttendee

    build(world, state="proposed")
    chair = world.login("chair")
    meeting_id = plan_through_the_page(world, chair, attendees=("chair", "member"))
    mid = uuid.UUID(meeting_id)
    page = html(chair.get(f"/meetings/{meeting_id}"))
    assert "Uitnodigen" in page
    assert "Coordinator" in page
    r = form(chair, f"/meetings/{meeting_id}/attendees",
             {"user_id": user_id(world, "coordinator")})
    assert r.status_code == 302
    member = uuid.UUID(user_id(world, "member"))
    r = form(chair, f"/meetings/{meeting_id}/attendees/{member}/presence", {"present": "no"})
    assert r.status_code == 302
    rows = dict(dbs.execute(select(MeetingAttendee.user_id, MeetingAttendee.present)
                            .where(MeetingAttendee.meeting_id == mid)).all())
    dbs.rollback()
    assert rows[uuid.UUID(user_id(world, "coordinator"))] is True
    assert rows[member] is False
    assert "afwezig" in html(chair.get(f"/meetings/{meeting_id}"))


def test_the_livc_page_shows_each_members_response_times(world):
    build(world, state="proposed")
    page = html(world.login("chair").get(f"/livcs/{world.livc.id}"))
    assert "Reactietijden" in page
    assert page.count("badge rag-") >= 5  # one per member organisation
