"""The home page: where each role starts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import exists, or_, select

from referral.accounts import sessions
from referral.core import db
from referral.core.actor import current_actor
from referral.meetings.models import Meeting, MeetingAttendee
from referral.web.pages import page

bp = Blueprint("home", __name__)


@bp.route("/", methods=["GET"])
@page("self:read")
def home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))
    actor = current_actor()
    return render_template("home.html", user=current_user.user, actor=actor,
                           mfa_applies=sessions.mfa_applies(current_user.user),
                           meetings=_my_meetings(actor))


def _my_meetings(actor: Any) -> list[Any]:
    """Meetings this user attends or manages (dates and states only, no case data)."""
    managed = actor.livcs_with("livc_chair", "livc_coordinator")
    attends = exists().where(MeetingAttendee.meeting_id == Meeting.id,
                             MeetingAttendee.user_id == actor.user_id)
    condition = or_(Meeting.livc_id.in_(managed), attends) if managed else attends
    return list(db.session().scalars(select(Meeting).where(condition)
                                     .order_by(Meeting.scheduled_at.desc()).limit(20)))
