"""Meeting pages: the blueprint, what its page modules share, the secrecy acknowledgement,
and the printable agenda and feedback sheet.

The LIVC overview and planning are in ``livc_pages``, the meeting list and the workspace in
``meeting_pages``, decisions and feedback sheets in ``decision_pages``; all register on
:data:`bp`.  Pages work without JavaScript, every form carries the CSRF token, and each
calls the service the JSON API calls.  The printable agenda never shows a note (DESIGN §6:
no print view for LIVC-shared material); the feedback sheet is the LIVC's one printable
output.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError

from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.meetings import feedback, printing, services
from referral.web import problems
from referral.web.api import schema_instance
from referral.web.i18n import TIMEZONE
from referral.web.labels import label
from referral.web.pages import page

bp = Blueprint("meetings_web", __name__)
BRUSSELS = ZoneInfo(TIMEZONE)

# The acknowledged wording (access.SECRECY_WORDING, version 1) and the sheet's notice
# (feedback.NOTICE), in the page's language; a test holds the English to the originals.
SECRECY_TEXT = _l(
    "I acknowledge that what is shared in this LIVC case consultation falls under shared "
    "professional secrecy (art. 458ter of the Criminal Code). I use it only for the purpose of "
    "this consultation - the prevention of violent radicalisation through socio-preventive "
    "guidance of the person - and disclose it to no one outside it, my own organisation "
    "included. I may speak in the consultation; I am never obliged to.")
SHEET_NOTICE = _l(
    "The content of this feedback sheet may only be used for the purpose for which the "
    "LIVC case consultation was held (art. 458ter §2 of the Criminal Code). It holds no "
    "information covered by professional secrecy.")

# What the services answer in English about the fields of these forms, in plain words.
_SERVICE_MESSAGES = {
    "The due date has passed.": _l("The due date has passed."),
    "Give the action to a member organisation.": _l("Give the action to a member "
                                                    "organisation of the LIVC."),
    "Starting a programme appoints a coordinating member organisation.": _l(
        "Starting a programme appoints a coordinating member organisation."),
    "Closing a case needs an outcome.": _l("Closing a case needs an outcome."),
    "A refer decision names the referrals to offer.": _l(
        "A referral decision names the organisation to refer to."),
    "Only a ": _l("This decision does not take this field."),
    "The case is not on this meeting's agenda.": _l("The case is not on this meeting's "
                                                    "agenda."),
    "The text reproduces a note of ": _l(
        "The text reproduces a note of the case. Write the feedback in your own words, "
        "without information covered by professional secrecy."),
    "The text reproduces information covered": _l(
        "The text reproduces a note of the case. Write the feedback in your own words, "
        "without information covered by professional secrecy."),
    "Not an active user with a role in this LIVC": _l(
        "Choose people with a role in this LIVC at a member organisation."),
    "Register the fixed members first": _l(
        "The LIVC is not composed as the law requires yet: register its fixed members "
        "first."),
    "Choose a date between the years 2000 and 2100.": _l("Choose a date between the years "
                                                         "2000 and 2100."),
    "A case is discussed only in its own LIVC.": _l("A case is discussed only in its own "
                                                    "LIVC."),
}


# What the services answer in English when a step does not fit the meeting's state, in
# plain words (anything else is a change made in the meantime: reload).
_CONFLICTS = {
    "The case is on this agenda already.": _l("The case is on this agenda already."),
    "This user attends already.": _l("This person attends already."),
    "You acknowledged the secrecy duty for this meeting already.": _l(
        "You acknowledged the secrecy duty for this meeting already."),
    "The meeting was cancelled.": _l("The meeting was cancelled."),
    "The meeting has recorded a decision or a feedback sheet": _l(
        "The meeting recorded a decision or a feedback sheet for this case: it stays on the "
        "agenda."),
    "This meeting has a feedback sheet for the case already.": _l(
        "This meeting has a feedback sheet for the case already."),
    "You approved this feedback sheet already.": _l("You approved this feedback sheet "
                                                    "already."),
    "The feedback sheet is issued already.": _l("The feedback sheet is issued already."),
    "An issued feedback sheet no longer changes.": _l("An issued feedback sheet no longer "
                                                      "changes."),
    "The minutes are approved and can no longer change.": _l(
        "The minutes are approved and no longer change."),
    "A '": _l("This decision is not possible in the case's present state."),
    "Your organisation recorded this for this case and meeting already.": _l(
        "Your organisation recorded this for this case and meeting already."),
    "The action is ": _l("The action has this status already."),
}
_STATE_CONFLICT = " is possible only while the meeting is "


def problem_text(exc: errors.Problem) -> str:
    """A refused step in the page's language, saying why where the service says so."""
    if isinstance(exc, errors.Conflict):
        if _STATE_CONFLICT in exc.detail:
            return _("Not possible in the meeting's present state (%(state)s).",
                     state=label(exc.extra.get("state", ""), "state"))
        for english, plain in _CONFLICTS.items():
            if exc.detail.startswith(english):
                return str(plain)
    if isinstance(exc, errors.ValidationFailed):
        return " ".join(m for msgs in invalid_fields(exc).values() for m in msgs) \
            or _("Please check the form.")
    return problems.describe(exc)


def login_first() -> Any:
    if current_user.is_authenticated:
        return None
    return redirect(url_for("auth.login_page"))


def message(text: Any) -> str:
    """A service's or the schema's message about a field, in the page's language."""
    raw = str(text)
    for english, plain in _SERVICE_MESSAGES.items():
        if raw.startswith(english):
            return str(plain)
    return problems.field_message(raw)


def invalid_fields(exc: errors.ValidationFailed) -> dict[str, list[str]]:
    """``{"actions.0.due": [messages]}``: nested schema errors and the services' dotted
    field names alike, so that each message lands next to its own input."""
    out: dict[str, list[str]] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{path}.{key}" if path else str(key), inner)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(path, item)
        else:
            out.setdefault(path or "_", []).append(message(value))

    walk("", exc.errors)
    return out


def load_form(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """The form's values through the API's own schema: the same checks, the same 422."""
    try:
        loaded: dict[str, Any] = schema_instance(schema).load(data)
    except ValidationError as exc:
        messages = exc.messages
        raise errors.ValidationFailed(messages if isinstance(messages, dict)
                                      else {"_schema": messages}) from None
    return loaded


def attempt(fn: Callable[[], Any], success: str) -> bool:
    """Run a service in the request's transaction; say the outcome as a flash.  Without a
    relation the page answers 404 like the API."""
    try:
        run_in_transaction(fn)
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        flash(problem_text(exc), "error")
        return False
    flash(success, "ok")
    return True


def brussels_datetime(day: str, clock_time: str) -> str | None:
    """A date and a time typed in Brussels local time, as ISO 8601 with its offset."""
    try:
        local = datetime.combine(date.fromisoformat(day.strip()),
                                 time.fromisoformat(clock_time.strip()), tzinfo=BRUSSELS)
    except ValueError:
        return None
    return local.isoformat()


def brussels_date(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(BRUSSELS).date()


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID((value or "").strip())
    except ValueError:
        return None


@bp.route("/meetings/<uuid:meeting_id>/acknowledge", methods=["POST"])
@page("meeting:acknowledge")
def acknowledge(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    attempt(lambda: services.acknowledge(db.session(), current_actor(), meeting_id),
            _("You acknowledged the secrecy duty for this meeting."))
    return redirect(url_for(".workspace", meeting_id=meeting_id))


@bp.route("/meetings/<uuid:meeting_id>/agenda/print", methods=["GET"])
@page("meeting:material")
def print_agenda(meeting_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    data = run_in_transaction(
        lambda: printing.printable_agenda(db.session(), current_actor(), meeting_id))
    return render_template("meetings/agenda_print.html", **data)


@bp.route("/feedback-sheets/<uuid:sheet_id>/print", methods=["GET"])
@page("feedback:read")
def print_sheet(sheet_id: uuid.UUID) -> Any:
    if (gone := login_first()) is not None:
        return gone
    sheet = run_in_transaction(
        lambda: feedback.printable_sheet(db.session(), current_actor(), sheet_id))
    return render_template("meetings/feedback_print.html", sheet=sheet, notice=SHEET_NOTICE)
