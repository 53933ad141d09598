"""The meeting list and the meeting workspace: agenda and its suggestions, attendees with
their acknowledgement and presence, the session, per-case material, minutes.

What the workspace shows comes from the services the API calls (``workspace.view_meeting``,
``services.agenda_suggestions``, ``services.read_minutes``, ``feedback.read_sheet``), each
deciding and auditing its own reads; this module only puts them on one page.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

import policies
from policies.meetings import MANAGER_ROLES, ActionFacts
from policies.vocabulary import (
    ACTION_STATUSES,
    AGENDA_REASONS,
    DECISIONS,
    REFERRAL_KINDS,
    SPHERES_OF_LIFE,
    WITHHELD_REASONS,
)
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.meetings import actions, agenda, feedback, overview, services, withheld
from referral.meetings import workspace as meeting_workspace
from referral.meetings.access import meeting_facts
from referral.meetings.models import AgendaItem, FeedbackSheet, Meeting
from referral.meetings.pages import (
    SECRECY_TEXT,
    attempt,
    bp,
    brussels_date,
    invalid_fields,
    load_form,
    login_first,
    parse_uuid,
    problem_text,
)
from referral.meetings.schemas import ActionPatch, AgendaIn, WithheldIn
from referral.organisations.models import Livc, LivcMember, Organisation
from referral.pathways import engine
from referral.web.labels import label
from referral.web.pages import page

# Rows of actions offered by the decision form (decision_pages reads as many).
ACTION_ROWS = 3


@bp.route("/meetings", methods=["GET"])
@page("meeting:read")
def meeting_list() -> Any:
    if (gone := login_first()) is not None:
        return gone
    meetings = run_in_transaction(lambda: overview.list_meetings(db.session(), current_actor()))
    upcoming = [m for m in meetings if m["state"] in services.OPEN_STATES]
    past = [m for m in reversed(meetings) if m["state"] not in services.OPEN_STATES]
    can_plan = bool(current_actor().livcs_with(*MANAGER_ROLES))
    return render_template("meetings/list.html", upcoming=upcoming, past=past,
                           can_plan=can_plan)


def _load(meeting_id: uuid.UUID) -> dict[str, Any]:
    s, actor = db.session(), current_actor()
    view = meeting_workspace.view_meeting(s, actor, meeting_id)
    meeting = s.get(Meeting, meeting_id)
    assert meeting is not None
    facts = meeting_facts(s, meeting)
    manager = policies.decide(actor, "meeting:manage", facts).allowed
    chair = policies.decide(actor, "feedback:create", facts).allowed
    editable = manager and meeting.state in agenda.EDITABLE_STATES
    livc = s.get(Livc, meeting.livc_id)
    assert livc is not None
    ctx: dict[str, Any] = {
        "meeting": view, "livc_name": livc.name, "manager": manager, "chair": chair,
        "editable": editable, "attendee": actor.user_id in facts.attendee_user_ids,
        "can_draft_minutes": policies.decide(actor, "meeting:draft_minutes", facts).allowed,
        "org_names": dict(s.execute(select(Organisation.id, Organisation.name)).all()),
        "suggestions": [], "carried_over": [], "candidates": [], "members": [],
        "case_ids": {}, "minutes": None, "sheets": {}, "transitions": [],
        "decision_kinds": DECISIONS, "referral_kinds": REFERRAL_KINDS,
        "spheres": SPHERES_OF_LIFE, "agenda_reasons": AGENDA_REASONS,
        "action_rows": range(ACTION_ROWS), "guards": set(services.MEETING_GUARDS),
        "action_statuses": ACTION_STATUSES, "withheld_reasons": WITHHELD_REASONS,
        "actions": None, "actions_elsewhere": [], "withheld": {}, "can_record_withheld": (
            meeting.state in withheld.RECORDING_STATES
            and policies.decide(actor, "meeting:record_withheld", facts).allowed),
    }
    if manager:
        ctx["transitions"] = engine.available(actor, meeting, facts, services.MEETING_GUARDS, s)
        # The forms name the case; the manager's preparation rule already shows it.
        ctx["case_ids"] = dict(s.execute(
            select(AgendaItem.id, AgendaItem.case_id)
            .where(AgendaItem.meeting_id == meeting.id)).all())
        ctx["members"] = sorted(
            ((m.organisation_id, m.organisation.name) for m in s.scalars(
                select(LivcMember).where(LivcMember.livc_id == meeting.livc_id))),
            key=lambda m: m[1].casefold())
    if editable:
        on_agenda = set(ctx["case_ids"].values())
        ctx["suggestions"] = [
            sug for sug in services.agenda_suggestions(
                s, actor, meeting.livc_id, brussels_date(meeting.scheduled_at))
            if sug["case_id"] not in on_agenda]
        suggested = {sug["case_id"] for sug in ctx["suggestions"]}
        ctx["carried_over"] = [c for c in agenda.carried_over(s, actor, meeting)
                               if c["case_id"] not in suggested]
        attending = facts.attendee_user_ids
        ctx["candidates"] = [p for p in overview.livc_people(s, meeting.livc_id)
                             if p["id"] not in attending]
    if policies.decide(actor, "meeting:actions", facts).allowed:
        ctx["actions"] = _meeting_actions(s, actor, meeting)
        on_agenda = set(s.scalars(select(AgendaItem.case_id)
                                  .where(AgendaItem.meeting_id == meeting.id)))
        ctx["actions_elsewhere"] = [a for case_id, rows in ctx["actions"].items()
                                    if case_id not in on_agenda for a in rows]
    if view["acknowledged"]:
        ctx["minutes"] = services.read_minutes(s, actor, meeting.id)
        for notice in withheld.list_withheld(s, actor, meeting.id):
            ctx["withheld"].setdefault(notice["case_id"], []).append(notice)
    if view["acknowledged"] or chair:
        for sheet_id in s.scalars(select(FeedbackSheet.id).where(
                FeedbackSheet.meeting_id == meeting.id).order_by(FeedbackSheet.created_at)).all():
            sheet = feedback.read_sheet(s, actor, sheet_id)
            ctx["sheets"][sheet["case_id"]] = sheet
    return ctx


def _meeting_actions(s: Any, actor: Any, meeting: Meeting) -> dict[Any, list[dict[str, Any]]]:
    """The actions the meeting decided and those carried onto it, by case; each says
    whether this actor may change its status."""
    by_case: dict[Any, list[dict[str, Any]]] = {}
    for item in actions.meeting_actions(s, actor, meeting.id)["items"]:
        item["can_update"] = policies.decide(actor, "action:update", ActionFacts(
            organisation_id=item["organisation_id"], livc_id=meeting.livc_id)).allowed
        by_case.setdefault(item["case_id"], []).append(item)
    return by_case


def render_workspace(meeting_id: uuid.UUID, *, status: int = 200, form: str = "",
                     invalid: dict[str, list[str]] | None = None,
                     values: dict[str, Any] | None = None) -> Any:
    """The workspace; after a refused form, with its messages beside the fields of ``form``
    and what the user typed kept."""
    ctx = run_in_transaction(lambda: _load(meeting_id))
    return render_template("meetings/workspace.html", wording=SECRECY_TEXT, form=form,
                           invalid=invalid or {}, values=values or {}, **ctx), status


@bp.route("/meetings/<uuid:meeting_id>", methods=["GET"])
@page("meeting:read")
def workspace(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    return render_workspace(meeting_id)


def _back(meeting_id: uuid.UUID, anchor: str = "") -> Any:
    return redirect(url_for(".workspace", meeting_id=meeting_id) + (f"#{anchor}" if anchor
                                                                     else ""))


@bp.route("/meetings/<uuid:meeting_id>/agenda", methods=["POST"])
@page("meeting:manage")
def add_agenda_item(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    body = {"case_id": request.form.get("case_id", ""),
            "reason": request.form.get("reason", "")}

    def add() -> Any:
        return services.add_agenda_item(db.session(), current_actor(), meeting_id,
                                        load_form(AgendaIn, body))

    attempt(add, _("The case is on the agenda."))
    return _back(meeting_id, "agenda")


@bp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>/remove", methods=["POST"])
@page("meeting:manage")
def remove_agenda_item(meeting_id: uuid.UUID, item_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    attempt(lambda: agenda.remove_agenda_item(db.session(), current_actor(), meeting_id,
                                              item_id), _("The case is off the agenda."))
    return _back(meeting_id, "agenda")


@bp.route("/meetings/<uuid:meeting_id>/attendees", methods=["POST"])
@page("meeting:manage")
def add_attendee(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    user_id = parse_uuid(request.form.get("user_id"))
    if user_id is None:
        flash(_("Choose a person from the list."), "error")
    else:
        attempt(lambda: services.add_attendee(db.session(), current_actor(), meeting_id,
                                              user_id), _("The attendee is invited."))
    return _back(meeting_id, "attendees")


@bp.route("/meetings/<uuid:meeting_id>/attendees/<uuid:user_id>/presence", methods=["POST"])
@page("meeting:manage")
def set_presence(meeting_id: uuid.UUID, user_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    present = request.form.get("present") == "yes"
    attempt(lambda: services.set_presence(db.session(), current_actor(), meeting_id, user_id,
                                          present),
            _("Recorded as present.") if present else _("Recorded as absent."))
    return _back(meeting_id, "attendees")


@bp.route("/meetings/<uuid:meeting_id>/transition", methods=["POST"])
@page("meeting:transition")
def transition(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    trigger = request.form.get("trigger", "")
    version = request.form.get("version", type=int)
    attempt(lambda: services.transition_meeting(db.session(), current_actor(), meeting_id,
                                                {"trigger": trigger}, version),
            _("Done: %(step)s.", step=label(trigger, "trigger")))
    return _back(meeting_id)


@bp.route("/meetings/<uuid:meeting_id>/minutes", methods=["POST"])
@page("meeting:draft_minutes")
def draft_minutes(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    text = request.form.get("text", "")
    version = request.form.get("version", type=int)
    if not text.strip():
        return render_workspace(meeting_id, status=422, form="minutes",
                                invalid={"text": [_("This field is required.")]},
                                values={"text": text})
    try:
        run_in_transaction(lambda: services.draft_minutes(db.session(), current_actor(),
                                                          meeting_id, text, version))
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        return render_workspace(meeting_id, status=exc.status, form="minutes",
                                invalid={"text": [problem_text(exc)]},
                                values={"text": text})
    flash(_("The minutes are saved."), "ok")
    return _back(meeting_id, "minutes")


@bp.route("/meetings/<uuid:meeting_id>/actions/<uuid:action_id>", methods=["POST"])
@page("action:update")
def update_action(meeting_id: uuid.UUID, action_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    form = request.form
    try:
        body = load_form(ActionPatch, {
            "status": form.get("status", ""),
            "status_reason": form.get("status_reason", "").strip() or None,
            "version": form.get("version") or None})
        run_in_transaction(lambda: actions.update_status(
            db.session(), current_actor(), action_id, body, body.get("version")))
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        if isinstance(exc, errors.ValidationFailed):
            flash(_("Not saved: please check the form."), "error")
        else:
            flash(problem_text(exc), "error")
        return render_workspace(meeting_id, status=exc.status, form=f"action-{action_id}",
                                invalid=invalid_fields(exc)
                                if isinstance(exc, errors.ValidationFailed) else {},
                                values=form.to_dict())
    flash(_("The action's status is saved."), "ok")
    return _back(meeting_id, f"action-{action_id}")


@bp.route("/meetings/<uuid:meeting_id>/withheld", methods=["POST"])
@page("meeting:record_withheld")
def record_withheld(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    body = {"case_id": request.form.get("case_id", ""),
            "reason_category": request.form.get("reason_category", "")}
    attempt(lambda: withheld.record_withheld(db.session(), current_actor(), meeting_id,
                                             load_form(WithheldIn, body)),
            _("Recorded: your organisation holds information on this case that it does not "
              "share."))
    case = parse_uuid(body["case_id"])
    return _back(meeting_id, f"case-{case}" if case else "agenda")
