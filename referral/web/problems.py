"""A problem raised by a service, said in the page's language.

The API answers with the service's English detail (the contract); a page says the same
thing in the user's words: the rule or guard in plain language, each invalid field next
to its input, how long to wait.  Pages call :func:`describe` for a flash message and
:func:`field_messages` for inline errors; the friendly error pages use :func:`title`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from referral.core import errors
from referral.web.labels import label

# marshmallow's and our schemas' common messages, in plain words.
_FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field is required."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid date.": _l("Enter a date as DD/MM/YYYY or YYYY-MM-DD."),
    "Not a valid datetime.": _l("Enter a date and a time."),
    "Not a valid UUID.": _l("Choose an entry from the list."),
    "Not a valid boolean.": _l("Choose yes or no."),
    "Unknown field.": _l("This field is not accepted here."),
    "Must be one of": _l("Choose one of the options offered."),
    "Length must be between": _l("The text is too short or too long."),
    "Shorter than minimum length": _l("The text is too short."),
    "Longer than maximum length": _l("The text is too long."),
}

_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not possible here"),
    409: _l("Changed in the meantime"),
    410: _l("No longer available"),
    413: _l("Too large"),
    415: _l("Wrong kind of content"),
    422: _l("Please check the form"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("Temporarily unavailable"),
}


def title(status: int) -> str:
    return str(_TITLES.get(status, _TITLES[500]))


def field_message(message: Any) -> str:
    text = str(message)
    for english, plain in _FIELD_MESSAGES.items():
        if text.startswith(english):
            return str(plain)
    return text


def field_messages(problem: errors.Problem) -> dict[str, list[str]]:
    """``{field: [plain messages]}`` of a 422, nested fields flattened to their last name."""
    out: dict[str, list[str]] = {}
    if not isinstance(problem, errors.ValidationFailed):
        return out

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = str(key)
                walk(prefix if name.isdigit() else name, inner)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, dict):
                    walk(prefix, item)
                else:
                    out.setdefault(prefix or "_", []).append(field_message(item))
        else:
            out.setdefault(prefix or "_", []).append(field_message(value))

    walk("", problem.errors)
    return out


def describe(problem: errors.Problem, fields: dict[str, Any] | None = None) -> str:
    """One sentence for a flash message, in the user's language.

    ``fields`` maps a field name to its label on the form, so that a 422 reads
    "Birth date: enter a date" and never ``identity.birth_date: Not a valid date.``.
    """
    if isinstance(problem, errors.Forbidden):
        return _("Not allowed: %(rule)s.", rule=label(problem.rule, "rule"))
    if isinstance(problem, errors.GuardFailed):
        return _("Not possible yet: %(guard)s.", guard=label(problem.guard, "guard"))
    if isinstance(problem, errors.ValidationFailed):
        named = fields or {}
        parts = [f"{named.get(name, _('Form'))}: {' '.join(msgs)}"
                 for name, msgs in field_messages(problem).items()]
        return " ".join(parts) or _("Please check the form.")
    if isinstance(problem, errors.Conflict):
        return _("Someone else changed this in the meantime. Reload the page and try again.")
    if isinstance(problem, errors.TooManyRequests):
        wait = problem.headers.get("Retry-After", "60")
        return _("Too many attempts. Wait %(seconds)s seconds and try again.", seconds=wait)
    if isinstance(problem, errors.NotFound):
        return _("Not found.")
    return title(problem.status)


__all__ = ["describe", "field_message", "field_messages", "title"]
