"""What the case pages share: their blueprint, the login check, running a service call for
a form and saying its problem in the user's words, and reading a form into a schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError

from referral.core import errors
from referral.core.transaction import run_in_transaction
from referral.web import problems
from referral.web.labels import label

bp = Blueprint("case_pages", __name__)

# A form field's name -> its label, so that a problem reads "Birth date: ..." and never
# ``identity.birth_date: ...``.
FIELD_LABELS: dict[str, Any] = {
    "livc_id": _l("LIVC"),
    "national_number": _l("National register number"),
    "family_name": _l("Family name"),
    "given_names": _l("Given names"),
    "birth_date": _l("Birth date"),
    "identity": _l("Identity"),
    "context": _l("Context"),
    "consent": _l("Consent"),
    "phase": _l("Phase"),
    "informing_status": _l("Informing status"),
    "informing_ground": _l("Legal ground for not informing"),
    "informed_party": _l("Who was informed"),
    "coordinator_user_id": _l("Case coordinator"),
    "version": _l("Version"),
    "body": _l("Note"),
    "compartment": _l("Compartment"),
    "audience": _l("Audience"),
    "purpose": _l("Purpose"),
    "legal_basis": _l("Legal basis"),
    "to_organisation_id": _l("Organisation"),
    "kind": _l("Kind"),
    "sphere_of_life": _l("Sphere of life"),
    "reason": _l("Reason"),
    "reason_category": _l("Kind of reason"),
    "outcome": _l("Outcome"),
    "trigger": _l("Step"),
}


def login_required() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    return None


# The services' own field messages (English, the API's contract), in the user's words.
# Matched by their beginning; the first match wins, so longer beginnings come first.
_SERVICE_MESSAGES: tuple[tuple[str, Any], ...] = (
    ("the check digits do not match", _l("The check digits do not match: check the number.")),
    ("must be 11 digits", _l("Enter 11 digits, as YY.MM.DD-SSS.CC or without dots.")),
    ("the birth date part is not a possible date",
     _l("The birth date in this number is not a possible date.")),
    ("the birth date lies in the future", _l("The birth date in this number lies in the "
                                             "future.")),
    ("must not be empty", _l("This field is required.")),
    ("lies in the future", _l("The date lies in the future.")),
    ("lies before", _l("The date lies too far in the past.")),
    ("give a national number or names with a birth date, not both",
     _l("Give a national register number, or names with a birth date, not both.")),
    ("give national_number, or family_name",
     _l("Give a national register number, or the family name, given names and birth date.")),
    ("Give the legal ground for not informing.", _l("Give the legal ground for not "
                                                    "informing.")),
    ("Choose a user of the owner", _l("Choose a user of the owner or coordinating "
                                      "organisation.")),
    ("Unknown LIVC.", _l("Choose a LIVC from the list.")),
    ("Your organisation is not a member of this LIVC.",
     _l("Your organisation is not a member of this LIVC.")),
    ("Give a reason in words", _l("Give a reason in words (at least three letters or "
                                  "digits).")),
    ("Give a reason.", _l("Give a reason.")),
    ("A service referral names a sphere of life.",
     _l("A service referral names a sphere of life.")),
    ("Refer to another organisation.", _l("Refer to another organisation than your own.")),
    ("Unknown organisation.", _l("Choose an organisation from the list.")),
    ("At most", _l("The text is too long.")),
)


def _plain(message: str, problem: errors.Problem) -> str:
    for start, words in _SERVICE_MESSAGES:
        if message.startswith(start):
            return str(words)
    rule = problem.extra.get("rule")
    if rule:  # a recipient the rules refuse: the rule in words
        return label(rule, "rule")
    return message


def field_errors(problem: errors.Problem) -> dict[str, list[str]]:
    """``{field: [messages in the user's words]}`` of a 422, for inline errors.  A dotted
    path (``identity.birth_date``) is the form's field of its last name."""
    found: dict[str, list[str]] = {}
    for field, messages in problems.field_messages(problem).items():
        found.setdefault(field.rpartition(".")[2], []).extend(
            _plain(m, problem) for m in messages)
    return found


def say(exc: errors.Problem) -> str:
    """One sentence for a flash message, each invalid field named by its label."""
    if isinstance(exc, errors.ValidationFailed):
        parts = [f"{FIELD_LABELS.get(name, _l('Form'))}: {' '.join(msgs)}"
                 for name, msgs in field_errors(exc).items()]
        if parts:
            return " ".join(parts)
    return problems.describe(exc)


def attempt(fn: Callable[[], Any], success: str) -> bool:
    """Run ``fn`` in a transaction and flash ``success`` or the problem in words.  Not
    found and not logged in stay errors: a form on a page one may not see is no form."""
    try:
        run_in_transaction(fn)
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        flash(say(exc), "error")
        return False
    flash(success, "ok")
    return True


def load_form(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` read by the API's own schema; its messages as the API's 422."""
    try:
        loaded: dict[str, Any] = schema.load(dict(data))
    except ValidationError as exc:
        messages = exc.messages
        raise errors.ValidationFailed(messages if isinstance(messages, dict)
                                      else {"_schema": messages}) from None
    return loaded
