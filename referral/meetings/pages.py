"""Meeting pages: a small workspace, and the printable agenda and feedback sheet.

Pages work without JavaScript; the one form (acknowledging secrecy) carries the
CSRF token.  The printable agenda never shows a note (DESIGN §6: no print view
for LIVC-shared material); the feedback sheet is the LIVC's one printable output.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from referral.core import db
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.meetings import feedback, printing, services
from referral.meetings import workspace as meeting_workspace
from referral.meetings.access import SECRECY_WORDING
from referral.web.pages import page

bp = Blueprint("meetings_web", __name__)


def _login_first() -> Any:
    if current_user.is_authenticated:
        return None
    return redirect(url_for("auth.login_page"))


@bp.route("/meetings/<uuid:meeting_id>", methods=["GET"])
@page("meeting:read")
def workspace(meeting_id: uuid.UUID) -> Any:
    if (gone := _login_first()) is not None:
        return gone
    data = run_in_transaction(
        lambda: meeting_workspace.view_meeting(db.session(), current_actor(), meeting_id))
    return render_template("meetings/workspace.html", meeting=data, wording=SECRECY_WORDING)


@bp.route("/meetings/<uuid:meeting_id>/acknowledge", methods=["POST"])
@page("meeting:acknowledge")
def acknowledge(meeting_id: uuid.UUID) -> Any:
    if (gone := _login_first()) is not None:
        return gone
    run_in_transaction(lambda: services.acknowledge(db.session(), current_actor(), meeting_id))
    return redirect(url_for(".workspace", meeting_id=meeting_id))


@bp.route("/meetings/<uuid:meeting_id>/agenda/print", methods=["GET"])
@page("meeting:material")
def print_agenda(meeting_id: uuid.UUID) -> Any:
    if (gone := _login_first()) is not None:
        return gone
    data = run_in_transaction(
        lambda: printing.printable_agenda(db.session(), current_actor(), meeting_id))
    return render_template("meetings/agenda_print.html", **data)


@bp.route("/feedback-sheets/<uuid:sheet_id>/print", methods=["GET"])
@page("feedback:read")
def print_sheet(sheet_id: uuid.UUID) -> Any:
    if (gone := _login_first()) is not None:
        return gone
    sheet = run_in_transaction(
        lambda: feedback.printable_sheet(db.session(), current_actor(), sheet_id))
    return render_template("meetings/feedback_print.html", sheet=sheet)
