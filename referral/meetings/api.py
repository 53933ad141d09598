"""JSON API of LIVC meetings (API.md, Meetings): thin routes over the services."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response

from referral.core import db
from referral.core.actor import current_actor
from referral.meetings import actions, decisions, feedback, printing, services, withheld, workspace
from referral.meetings.schemas import (
    AcknowledgementOut,
    ActionDetailOut,
    ActionListOut,
    ActionOut,
    ActionPatch,
    ActionQuery,
    AgendaIn,
    AgendaItemOut,
    AttendeeIn,
    DecisionIn,
    DecisionOut,
    FeedbackIn,
    FeedbackListOut,
    FeedbackOut,
    FeedbackPatch,
    FeedbackQuery,
    MeetingActionsOut,
    MeetingIn,
    MeetingOut,
    MeetingTransitionIn,
    MinutesIn,
    MinutesOut,
    PresenceIn,
    SuggestionOut,
    SuggestionQuery,
    WithheldIn,
    WithheldOut,
)
from referral.web import ratelimit
from referral.web.api import api_blueprint, expected_version, route

bp = api_blueprint("meetings")
MEETING = "/meetings/<uuid:meeting_id>"
SHEET = "/feedback-sheets/<uuid:sheet_id>"


@route(bp, "/livcs/<uuid:livc_id>/meetings", "POST", action="meeting:create", body=MeetingIn,
       response=MeetingOut, status=201,
       summary="Plan a meeting (chair/coordinator; the LIVC's fixed members registered)")
def create_meeting(livc_id: uuid.UUID, body: dict[str, Any]) -> Any:
    s = db.session()
    return workspace.summary(s, services.create_meeting(s, current_actor(), livc_id, body))


@route(bp, "/livcs/<uuid:livc_id>/agenda-suggestions", "GET",
       action="livc:agenda_suggestions", query=SuggestionQuery, response=SuggestionOut,
       many=True, summary="Proposed cases and reviews due by the meeting date, or overdue")
def agenda_suggestions(livc_id: uuid.UUID, query: dict[str, Any]) -> Any:
    return services.agenda_suggestions(db.session(), current_actor(), livc_id,
                                       query.get("date"))


@route(bp, MEETING, "GET", action="meeting:read", response=MeetingOut,
       summary="The meeting: agenda as pseudonyms; material once secrecy is acknowledged")
def get_meeting(meeting_id: uuid.UUID) -> Any:
    return workspace.view_meeting(db.session(), current_actor(), meeting_id)


@route(bp, f"{MEETING}/attendees", "POST", action="meeting:manage", body=AttendeeIn,
       response=MeetingOut, status=201, statuses=(409,), summary="Invite an attendee")
def add_attendee(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    s = db.session()
    return workspace.summary(s, services.add_attendee(s, current_actor(), meeting_id,
                                                 body["user_id"]))


@route(bp, f"{MEETING}/attendees/<uuid:user_id>", "PATCH", action="meeting:manage",
       body=PresenceIn, response=MeetingOut, statuses=(409,),
       summary="Record an attendee as present or absent")
def set_presence(meeting_id: uuid.UUID, user_id: uuid.UUID, body: dict[str, Any]) -> Any:
    s = db.session()
    return workspace.summary(s, services.set_presence(s, current_actor(), meeting_id, user_id,
                                                 body["present"]))


@route(bp, f"{MEETING}/agenda", "POST", action="meeting:manage", body=AgendaIn,
       response=AgendaItemOut, status=201, statuses=(409,),
       summary="Put a case of this LIVC on the agenda (new, review or urgent)")
def add_agenda_item(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.add_agenda_item(db.session(), current_actor(), meeting_id, body)


@route(bp, f"{MEETING}/acknowledgements", "POST", action="meeting:acknowledge",
       response=AcknowledgementOut, status=201, statuses=(409,),
       summary="Acknowledge the secrecy duty (art. 458ter §2) for this meeting")
def acknowledge(meeting_id: uuid.UUID) -> Any:
    return services.acknowledge(db.session(), current_actor(), meeting_id)


@route(bp, f"{MEETING}/transitions", "POST", action="meeting:transition",
       body=MeetingTransitionIn, response=MeetingOut, statuses=(409,),
       summary="open, close, approve_minutes or cancel")
def transition_meeting(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    s = db.session()
    meeting = services.transition_meeting(s, current_actor(), meeting_id, body,
                                          expected_version(body))
    return workspace.summary(s, meeting)


@route(bp, f"{MEETING}/decisions", "POST", action="meeting:decide", body=DecisionIn,
       response=DecisionOut, status=201, statuses=(409,),
       summary="Record a decision; fires the case transition it implies")
def record_decision(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return decisions.record_decision(db.session(), current_actor(), meeting_id, body)


@route(bp, f"{MEETING}/minutes", "GET", action="meeting:material", response=MinutesOut,
       summary="The minutes (attendees who acknowledged secrecy)")
def read_minutes(meeting_id: uuid.UUID) -> Any:
    return services.read_minutes(db.session(), current_actor(), meeting_id)


@route(bp, f"{MEETING}/minutes", "PUT", action="meeting:draft_minutes", body=MinutesIn,
       response=MinutesOut, statuses=(409,),
       summary="Draft the minutes (coordinator; immutable once approved)")
def draft_minutes(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.draft_minutes(db.session(), current_actor(), meeting_id, body["text"],
                                  expected_version(body))


@route(bp, f"{MEETING}/calendar.ics", "GET", action="meeting:read",
       content_type="text/calendar", summary="Calendar entry (no case data)")
def calendar(meeting_id: uuid.UUID) -> Any:
    ics = printing.calendar_ics(db.session(), current_actor(), meeting_id)
    return Response(ics, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="livc-meeting-{meeting_id}.ics"'})


@route(bp, f"{MEETING}/feedback-sheets", "POST", action="feedback:create", body=FeedbackIn,
       response=FeedbackOut, status=201, statuses=(409, 429),
       summary="Draft a feedback sheet for the police (chair; never a note's text; "
       "rate-limited)")
@ratelimit.feedback_limit
def draft_sheet(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return feedback.draft_sheet(db.session(), current_actor(), meeting_id, body)


@route(bp, "/feedback-sheets", "GET", action="feedback:list", query=FeedbackQuery,
       response=FeedbackListOut, paginated=True,
       summary="The chair's feedback sheets; issued ones for the police information officer")
def list_sheets(query: dict[str, Any]) -> Any:
    return feedback.list_sheets(db.session(), current_actor(), query)


@route(bp, SHEET, "GET", action="feedback:read", response=FeedbackOut,
       summary="A feedback sheet (police information officer: once issued)")
def read_sheet(sheet_id: uuid.UUID) -> Any:
    return feedback.read_sheet(db.session(), current_actor(), sheet_id)


@route(bp, SHEET, "PATCH", action="feedback:update", body=FeedbackPatch,
       response=FeedbackOut, statuses=(409, 429),
       summary="Redraft a sheet before it is issued (approvals start again; rate-limited)")
@ratelimit.feedback_limit
def update_sheet(sheet_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return feedback.update_sheet(db.session(), current_actor(), sheet_id, body,
                                 expected_version(body))


@route(bp, f"{SHEET}/approvals", "POST", action="feedback:approve", response=FeedbackOut,
       status=201, statuses=(409,),
       summary="Approve (attendees present who acknowledged); issued when all have")
def approve_sheet(sheet_id: uuid.UUID) -> Any:
    return feedback.approve(db.session(), current_actor(), sheet_id)


@route(bp, "/actions", "GET", action="action:list", query=ActionQuery,
       response=ActionListOut, paginated=True,
       summary="LIVC actions you may see (your organisation's, your LIVC's as chair or "
       "coordinator, your acknowledged meetings'); open ones unless status or include_done")
def list_actions(query: dict[str, Any]) -> Any:
    return actions.list_actions(db.session(), current_actor(), query)


@route(bp, "/actions/<uuid:action_id>", "GET", action="action:read",
       response=ActionDetailOut, summary="An action with its history")
def get_action(action_id: uuid.UUID) -> Any:
    return actions.get_action(db.session(), current_actor(), action_id)


@route(bp, "/actions/<uuid:action_id>", "PATCH", action="action:update", body=ActionPatch,
       response=ActionDetailOut, statuses=(409,),
       summary="Set an action's status (a reason for not_possible and not_done); in a "
       "meeting in session that carries it, this is its review")
def update_action(action_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return actions.update_status(db.session(), current_actor(), action_id, body,
                                 expected_version(body))


@route(bp, "/actions/<uuid:action_id>/done", "POST", action="action:complete",
       response=ActionOut, statuses=(409,), summary="Mark an action done")
def complete_action(action_id: uuid.UUID) -> Any:
    return actions.complete_action(db.session(), current_actor(), action_id,
                                   expected_version())


@route(bp, f"{MEETING}/actions", "GET", action="meeting:actions", response=MeetingActionsOut,
       summary="The actions this meeting decided and the open ones carried onto it for "
       "review (carried when read)")
def meeting_actions(meeting_id: uuid.UUID) -> Any:
    return actions.meeting_actions(db.session(), current_actor(), meeting_id)


@route(bp, f"{MEETING}/withheld", "POST", action="meeting:record_withheld", body=WithheldIn,
       response=WithheldOut, status=201, statuses=(409,),
       summary="Your organisation holds relevant information on a case on the agenda that it "
       "does not share (a reason category, no content; never required)")
def record_withheld(meeting_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return withheld.record_withheld(db.session(), current_actor(), meeting_id, body)


@route(bp, f"{MEETING}/withheld", "GET", action="meeting:read_withheld", response=WithheldOut,
       many=True, summary="Which organisations hold information they did not share "
       "(acknowledged attendees)")
def list_withheld(meeting_id: uuid.UUID) -> Any:
    return withheld.list_withheld(db.session(), current_actor(), meeting_id)
