"""The home page: per role, what needs attention today, as counts with a link.

No case content: counts, and for meetings a date.  Counts come from the services the
pages and the API use (``referral.cases.attention``, the break-glass review queue), so
they are what the user would find behind the link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import exists, func, not_, or_, select

from policies.actor import Actor
from referral.accounts import sessions
from referral.audit import review
from referral.cases.attention import ACTIONS_SOURCE, attention
from referral.cases.models import Case
from referral.core import db
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.meetings import actions
from referral.meetings.models import Meeting, MeetingAttendee, SecrecyAcknowledgement
from referral.organisations import response_times
from referral.organisations.models import Livc
from referral.web.pages import page

bp = Blueprint("home", __name__)
# The inbox (referral.cases) lists the organisation's LIVC actions, the meetings feature's:
# wired here, above both features, so that neither imports the other's behaviour.
bp.record_once(lambda state: state.app.extensions.setdefault(
    ACTIONS_SOURCE, actions.open_actions_for_organisation))

UPCOMING = ("planned", "in_session")


@bp.route("/", methods=["GET"])
@page("self:read")
def home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))
    actor = current_actor()
    found = run_in_transaction(lambda: _today(actor))
    livc_names = dict(db.session().execute(select(Livc.id, Livc.name)).all())
    return render_template("home.html", user=current_user.user, actor=actor,
                           mfa_applies=sessions.mfa_applies(current_user.user),
                           livc_names=livc_names, has=_has_endpoint, **found)


def _has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def _today(actor: Actor) -> dict[str, Any]:
    s = db.session()
    found: dict[str, Any] = {"work": None, "meetings": _my_meetings(actor),
                             "to_acknowledge": _to_acknowledge(actor), "break_glass": None,
                             "legal_holds": None, "response": None}
    if actor.has_case_role:
        work = attention(s, actor)
        found["work"] = {"incoming": sum(r["state"] == "offered" for r in work["incoming"]),
                         "needing_action": len(work["needing_action"]),
                         "overdue": len(work["overdue"]), "matches": len(work["matches"]),
                         "actions": len(work["actions"])}
        # The organisation's own response times, red/amber/green (read as the API reads them).
        if actor.organisation_id is not None:
            found["response"] = response_times.response_times(s, actor,
                                                              actor.organisation_id)
    if actor.has_role("auditor"):
        query = {"reviewed": False, "page": 1, "per_page": 1}
        review.record_listing(s, actor, query, "home")
        found["break_glass"] = review.list_uses(s, query)["total"]
    if actor.has_role("dpo"):
        found["legal_holds"] = s.scalar(select(func.count()).select_from(Case)
                                        .where(Case.legal_hold.is_(True))) or 0
    return found


def _my_meetings(actor: Actor) -> list[Any]:
    """Upcoming meetings this user attends or manages (dates and states, no case data)."""
    managed = actor.livcs_with("livc_chair", "livc_coordinator")
    attends = exists().where(MeetingAttendee.meeting_id == Meeting.id,
                             MeetingAttendee.user_id == actor.user_id)
    condition = or_(Meeting.livc_id.in_(managed), attends) if managed else attends
    return list(db.session().scalars(select(Meeting).where(condition,
                                                           Meeting._state.in_(UPCOMING))
                                     .order_by(Meeting.scheduled_at).limit(20)))


def _to_acknowledge(actor: Actor) -> set[Any]:
    """The ids of upcoming meetings the user attends without having acknowledged secrecy."""
    acknowledged = exists().where(SecrecyAcknowledgement.meeting_id == Meeting.id,
                                  SecrecyAcknowledgement.user_id == actor.user_id)
    return set(db.session().scalars(
        select(Meeting.id).join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.user_id == actor.user_id, Meeting._state.in_(UPCOMING),
               not_(acknowledged))))
