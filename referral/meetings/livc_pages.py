"""The LIVC overview of its chair and coordinator (members, the composition gate, the
recorded invitations) and planning a meeting from it."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.meetings import overview, services
from referral.meetings.pages import (
    bp,
    brussels_datetime,
    invalid_fields,
    load_form,
    login_first,
    parse_uuid,
    problem_text,
)
from referral.meetings.schemas import MeetingIn
from referral.organisations import response_times
from referral.web.pages import page


@bp.route("/livcs", methods=["GET"])
@page("livc:read")
def livc_overview() -> Any:
    if (gone := login_first()) is not None:
        return gone
    livcs = run_in_transaction(lambda: overview.managed_livcs(db.session(), current_actor()))
    if len(livcs) == 1:
        return redirect(url_for(".livc_page", livc_id=livcs[0]["id"]))
    return render_template("meetings/livcs.html", livcs=livcs)


def _render_livc(livc_id: uuid.UUID, *, status: int = 200,
                 invalid: dict[str, list[str]] | None = None,
                 values: dict[str, Any] | None = None) -> Any:
    actor = current_actor()
    livc = run_in_transaction(lambda: overview.livc_overview(db.session(), actor, livc_id))
    # Each member's response times over this LIVC's cases, as the API gives them to the
    # chair and coordinator (counts only; each read on the ledger).
    responses = run_in_transaction(lambda: {
        m["organisation_id"]: response_times.response_times(db.session(), actor,
                                                            m["organisation_id"])
        for m in livc["members"]})
    if values is None:
        # The chair attends by default; the coordinator who plans the meeting too.
        values = {"attendees": {str(p["id"]) for p in livc["people"]
                                if "livc_chair" in p["roles"] or p["id"] == actor.user_id},
                  "time": "14:00"}
    return render_template("meetings/livc.html", livc=livc, invalid=invalid or {},
                           values=values, responses=responses), status


@bp.route("/livcs/<uuid:livc_id>", methods=["GET"])
@page("livc:read")
def livc_page(livc_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    return _render_livc(livc_id)


@bp.route("/livcs/<uuid:livc_id>/meetings", methods=["POST"])
@page("meeting:create")
def plan_meeting(livc_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    form = request.form
    chosen = [u for u in (parse_uuid(v) for v in form.getlist("attendee_user_ids")) if u]
    day, at, location = form.get("date", ""), form.get("time", ""), form.get("location", "")
    values = {"date": day, "time": at, "location": location,
              "attendees": {str(u) for u in chosen}}
    scheduled = brussels_datetime(day, at)
    try:
        if scheduled is None:
            raise errors.field_error("scheduled_at", "Not a valid datetime.")
        data = load_form(MeetingIn, {"scheduled_at": scheduled,
                                     "attendee_user_ids": [str(u) for u in chosen],
                                     "location": location.strip() or None})
        meeting = run_in_transaction(lambda: services.create_meeting(
            db.session(), current_actor(), livc_id, data).id)
    except errors.ValidationFailed as exc:
        flash(_("The meeting was not planned: please check the form."), "error")
        return _render_livc(livc_id, status=422, invalid=invalid_fields(exc), values=values)
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        flash(problem_text(exc), "error")
        return redirect(url_for(".livc_page", livc_id=livc_id))
    flash(_("The meeting is planned. Put cases on its agenda below."), "ok")
    return redirect(url_for(".workspace", meeting_id=meeting))
