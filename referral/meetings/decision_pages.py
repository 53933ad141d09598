"""The workspace's forms for what the meeting decides and sends: a decision with its
actions (``decisions.record_decision``) and the feedback sheet for the police (drafted,
redrafted and approved through ``feedback``, as the API does).  A refused form comes
back with status 422, its messages beside the fields and the text the user typed."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.meetings import decisions, feedback
from referral.meetings.meeting_pages import ACTION_ROWS, render_workspace
from referral.meetings.pages import (
    attempt,
    bp,
    invalid_fields,
    load_form,
    login_first,
    parse_uuid,
    problem_text,
)
from referral.meetings.schemas import DecisionIn, FeedbackIn, FeedbackPatch
from referral.web import ratelimit
from referral.web.labels import label
from referral.web.pages import page


def _decision_body(case_id: str) -> dict[str, Any]:
    form = request.form
    body: dict[str, Any] = {"case_id": case_id, "decision": form.get("decision", ""),
                            "text": form.get("text", "")}
    for field in ("coordinator_organisation_id", "outcome"):
        if form.get(field, "").strip():
            body[field] = form[field].strip()
    actions = []
    for i in range(ACTION_ROWS):
        row = {key: form.get(f"action-{i}-{key}", "").strip()
               for key in ("organisation_id", "description", "due")}
        if any(row.values()):
            actions.append(row)
    if actions:
        body["actions"] = actions
    if form.get("referral-organisation_id", "").strip():
        body["referrals"] = [{
            "to_organisation_id": form["referral-organisation_id"].strip(),
            "kind": form.get("referral-kind", "service"),
            "sphere_of_life": form.get("referral-sphere_of_life") or None,
            "purpose": form.get("referral-purpose", "")}]
    return body


def _refused(meeting_id: uuid.UUID, form: str, exc: errors.Problem) -> Any:
    """The workspace again, with the form's problems where the user sees them."""
    if isinstance(exc, errors.ValidationFailed):
        flash(_("Not saved: please check the form."), "error")
        invalid = invalid_fields(exc)
    else:
        flash(problem_text(exc), "error")
        invalid = {}
    return render_workspace(meeting_id, status=exc.status, form=form, invalid=invalid,
                            values=request.form.to_dict())


@bp.route("/meetings/<uuid:meeting_id>/decisions", methods=["POST"])
@page("meeting:decide")
def record_decision(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    case_id = request.form.get("case_id", "")
    form = f"decision-{case_id}"
    try:
        body = load_form(DecisionIn, _decision_body(case_id))
        run_in_transaction(lambda: decisions.record_decision(db.session(), current_actor(),
                                                             meeting_id, body))
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        return _refused(meeting_id, form, exc)
    flash(_("Decision recorded: %(decision)s.", decision=label(body["decision"], "decision")),
          "ok")
    return _to_case(meeting_id, case_id)


@bp.route("/meetings/<uuid:meeting_id>/feedback-sheets", methods=["POST"])
@page("feedback:create")
@ratelimit.feedback_limit
def draft_sheet(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    case_id = request.form.get("case_id", "")
    try:
        body = load_form(FeedbackIn, {"case_id": case_id, "text": request.form.get("text", "")})
        run_in_transaction(lambda: feedback.draft_sheet(db.session(), current_actor(),
                                                        meeting_id, body))
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        return _refused(meeting_id, f"sheet-{case_id}", exc)
    flash(_("The feedback sheet is drafted. Every attendee present now approves it."), "ok")
    return _to_case(meeting_id, case_id)


@bp.route("/feedback-sheets/<uuid:sheet_id>/redraft", methods=["POST"])
@page("feedback:update")
@ratelimit.feedback_limit
def redraft_sheet(sheet_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    meeting_id = _meeting_of(sheet_id)
    case_id = request.form.get("case_id", "")
    try:
        body = load_form(FeedbackPatch, {"text": request.form.get("text", ""),
                                         "version": request.form.get("version") or None})
        run_in_transaction(lambda: feedback.update_sheet(
            db.session(), current_actor(), sheet_id, {"text": body["text"]},
            body.get("version")))
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        return _refused(meeting_id, f"sheet-{case_id}", exc)
    flash(_("The feedback sheet is redrafted; the approvals start again."), "ok")
    return _to_case(meeting_id, case_id)


@bp.route("/feedback-sheets/<uuid:sheet_id>/approve", methods=["POST"])
@page("feedback:approve")
def approve_sheet(sheet_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    meeting_id = _meeting_of(sheet_id)
    attempt(lambda: feedback.approve(db.session(), current_actor(), sheet_id),
            _("You approved the feedback sheet."))
    return _to_case(meeting_id, request.form.get("case_id", ""))


def _to_case(meeting_id: uuid.UUID, case_id: str) -> Any:
    target = url_for(".workspace", meeting_id=meeting_id)
    case = parse_uuid(case_id)
    return redirect(f"{target}#case-{case}" if case else target)


def _meeting_of(sheet_id: uuid.UUID) -> uuid.UUID:
    """The sheet's meeting, read as the sheet is read (404 without a relation)."""
    sheet = run_in_transaction(lambda: feedback.read_sheet(db.session(), current_actor(),
                                                           sheet_id))
    meeting_id: uuid.UUID = sheet["meeting_id"]
    return meeting_id
