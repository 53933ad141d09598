"""The meeting pages in the user's language, the print views without the application's
chrome, and following through in the workspace: actions carried over from an earlier
meeting with their status, and an organisation saying it holds information it does not
share."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from referral.core import clock
from referral.meetings.models import Action, WithheldNotice
from tests.factories import build, note, org_id, plan, when
from tests.meetings.pages_support import form, form_problems, html, plan_through_the_page

SHARED = "Gedeeld: zoekt werk als lasser."


def test_dutch_by_default_english_on_request(world):
    build(world, state="proposed")
    chair = world.login("chair")
    meeting_id = plan_through_the_page(world, chair)
    dutch = html(chair.get(f"/meetings/{meeting_id}"))
    assert '<html lang="nl-BE">' in dutch
    for words in ("Dagorde", "Deelnemers", "Voorstellen voor de dagorde", "Verslag"):
        assert words in dutch
    assert "Agenda</h2>" not in dutch
    chair.client.set_cookie("livc_lang", "en")
    english = html(chair.get(f"/meetings/{meeting_id}"))
    assert '<html lang="en">' in english
    assert "Suggestions for the agenda" in english
    assert "Attendees" in english
    assert "Vergaderingen" not in html(chair.get("/meetings"))


def test_the_print_views_carry_no_menu_and_no_notes(world):
    case = build(world, state="proposed")
    note(world.login("owner_rp"), case.id, SHARED, "livc")
    chair = world.login("chair")
    meeting_id = plan_through_the_page(world, chair)
    form(chair, f"/meetings/{meeting_id}/agenda", {"case_id": str(case.id), "reason": "new"})
    form(chair, f"/meetings/{meeting_id}/acknowledge")
    printed = html(chair.get(f"/meetings/{meeting_id}/agenda/print"))
    assert 'class="menu"' not in printed
    assert "Uitloggen" not in printed
    assert "print.css" in printed
    assert "casusoverleg" in printed
    assert "Vertrouwelijk" in printed
    assert SHARED not in printed


def test_actions_carried_over_are_reviewed_in_the_next_meeting(world, dbs):
    case = build(world, state="proposed")
    chair = world.login("chair")
    first = plan(world, chair)
    url = f"/api/v1/meetings/{first['id']}"
    chair.post(f"{url}/agenda", json={"case_id": str(case.id), "reason": "new"})
    chair.post(f"{url}/transitions", json={"trigger": "open"})
    r = chair.post(f"{url}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Traject.",
        "coordinator_organisation_id": org_id(world, "CAW Gent"),
        "actions": [{"organisation_id": org_id(world, "CAW Gent"),
                     "description": "Schoolbezoek regelen",
                     "due": (clock.now() + timedelta(days=10)).date().isoformat()}]})
    assert r.status_code == 201, r.get_json()
    chair.post(f"{url}/transitions", json={"trigger": "close"})
    later = chair.post(f"/api/v1/livcs/{world.livc.id}/meetings", json={
        "scheduled_at": when(30), "attendee_user_ids": []}).get_json()["id"]
    page = html(chair.get(f"/meetings/{later}"))
    # Not on this agenda yet: suggested, and its open action listed as carried over.
    assert case.reference in page
    assert "Schoolbezoek regelen" in page
    assert "overgedragen van een vorige vergadering" in page
    action_id, version = dbs.execute(select(Action.id, Action.version)
                                     .where(Action.case_id == case.id)).one()
    dbs.rollback()
    target = f"/meetings/{later}/actions/{action_id}"
    r = form(chair, target, {"status": "not_possible", "status_reason": "",
                             "version": version})
    assert r.status_code == 422
    assert 'id="action-' in html(r)
    r = form(chair, target, {"status": "not_possible", "version": version,
                             "status_reason": "De school weigert een gesprek."})
    assert r.status_code == 302
    assert dbs.scalar(select(Action.status).where(Action.id == action_id)) == "not_possible"
    dbs.rollback()


def test_an_attendee_says_their_organisation_holds_information_it_does_not_share(world, dbs):
    case = build(world, state="proposed")
    chair = world.login("chair")
    meeting_id = plan_through_the_page(world, chair)
    form(chair, f"/meetings/{meeting_id}/agenda", {"case_id": str(case.id), "reason": "new"})
    member = world.login("member")
    assert "Mijn organisatie beschikt over informatie" not in html(
        member.get(f"/meetings/{meeting_id}"))  # not before acknowledging
    form(member, f"/meetings/{meeting_id}/acknowledge")
    assert "Mijn organisatie beschikt over informatie" in html(
        member.get(f"/meetings/{meeting_id}"))
    r = form(member, f"/meetings/{meeting_id}/withheld", {
        "case_id": str(case.id), "reason_category": "professional_secrecy"})
    assert r.status_code == 302
    assert dbs.scalar(select(WithheldNotice.reason_category).where(
        WithheldNotice.meeting_id == uuid.UUID(meeting_id))) == "professional_secrecy"
    dbs.rollback()
    page = html(member.get(f"/meetings/{meeting_id}"))
    assert "CGG Gent beschikt over relevante informatie over deze casus" in page
    assert "(beroepsgeheim)" in page
    # The chair, acknowledged too, learns that CGG holds something, never why.
    form(chair, f"/meetings/{meeting_id}/acknowledge")
    chair_page = html(chair.get(f"/meetings/{meeting_id}"))
    assert "CGG Gent beschikt over relevante informatie" in chair_page
    assert "(beroepsgeheim)" not in chair_page


def test_every_field_has_its_label_and_every_form_its_csrf_token(world):
    case = build(world, state="proposed")
    note(world.login("owner_rp"), case.id, SHARED, "livc")
    chair = world.login("chair")
    pages = [html(chair.get(f"/livcs/{world.livc.id}")), html(chair.get("/meetings"))]
    meeting_id = plan_through_the_page(world, chair)
    pages.append(html(chair.get(f"/meetings/{meeting_id}")))  # suggestions, attendees
    form(chair, f"/meetings/{meeting_id}/agenda", {"case_id": str(case.id), "reason": "new"})
    form(chair, f"/meetings/{meeting_id}/acknowledge")
    api = f"/api/v1/meetings/{meeting_id}"
    chair.post(f"{api}/transitions", json={"trigger": "open"})
    chair.post(f"{api}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Traject.",
        "coordinator_organisation_id": org_id(world, "CAW Gent"),
        "actions": [{"organisation_id": org_id(world, "CAW Gent"), "description": "Bellen",
                     "due": (clock.now() + timedelta(days=10)).date().isoformat()}]})
    chair.post(f"{api}/feedback-sheets", json={"case_id": str(case.id), "text": "Opvolging."})
    # In session: decision form, actions with their status form, sheet and approvals.
    pages.append(html(chair.get(f"/meetings/{meeting_id}")))
    pages.append(html(chair.get(f"/meetings/{meeting_id}/agenda/print")))
    for page in pages:
        assert form_problems(page) == []
