"""The accounts services' messages, in the page's language.

The services answer in English (the API's contract); the administration and account pages
show the same message in the user's words, with role and clearance ids as their labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

from referral.web import problems
from referral.web.labels import label

_Say = Callable[[re.Match[str]], str]

_PATTERNS: tuple[tuple[re.Pattern[str], _Say], ...] = (
    (re.compile(r"^Separation of duties"), lambda m: _(
        "Separation of duties: administrators, auditors, DPOs, regional analysts and access "
        "managers hold no other role (no case role, and not each other's).")),
    (re.compile(r"^(?P<role>\w+) needs a livc_id"), lambda m: _(
        "%(role)s is held in one LIVC: choose the LIVC.", role=label(m["role"], "role"))),
    (re.compile(r"^Unknown LIVC"), lambda m: _("That LIVC does not exist.")),
    (re.compile(r"^(?P<role>\w+): the user's organisation is not a member"), lambda m: _(
        "%(role)s: the user's organisation is not a member of that LIVC.",
        role=label(m["role"], "role"))),
    (re.compile(r"^(?P<role>\w+) is not scoped to a LIVC"), lambda m: _(
        "%(role)s is not held in a LIVC.", role=label(m["role"], "role"))),
    (re.compile(r"^(?P<role>\w+) needs a security clearance of at least '(?P<level>\w+)'"),
     lambda m: _("%(role)s needs a security clearance of at least %(level)s.",
                 role=label(m["role"], "role"), level=label(m["level"], "clearance"))),
    (re.compile(r"^MFA is required for every account"), lambda m: _(
        "Two-factor authentication is required for every account here.")),
    (re.compile(r"^This username is taken"), lambda m: _("This username is taken.")),
    (re.compile(r"^Unknown organisation"), lambda m: _("Choose an organisation from the list.")),
    (re.compile(r"^Use at least (?P<n>\d+) characters"), lambda m: _(
        "Use at least %(count)s characters.", count=m["n"])),
    (re.compile(r"^Use at most (?P<n>\d+) characters"), lambda m: _(
        "Use at most %(count)s characters.", count=m["n"])),
    (re.compile(r"^This password is too common"), lambda m: _(
        "This password is too common; choose another.")),
    (re.compile(r"^The password must not contain the username"), lambda m: _(
        "The password must not contain the username.")),
    (re.compile(r"^The password is mostly names"), lambda m: _(
        "The password is mostly names of this service or your organisation; choose words of "
        "your own.")),
    (re.compile(r"^This is not your current password"), lambda m: _(
        "This is not your current password.")),
    (re.compile(r"^You cannot deactivate yourself"), lambda m: _(
        "You cannot deactivate yourself.")),
    (re.compile(r"^3-80 letters"), lambda m: _(
        "Use 3 to 80 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.")),
)


def plain(message: str) -> str:
    """One service message in the user's words (unknown ones as the generic field text)."""
    for pattern, say in _PATTERNS:
        found = pattern.search(message)
        if found:
            return say(found)
    return problems.field_message(message)


def field_messages(problem: object) -> dict[str, list[str]]:
    """:func:`referral.web.problems.field_messages`, each message in plain words."""
    from_problem = problems.field_messages(problem)  # type: ignore[arg-type]
    return {name: [plain(m) for m in msgs] for name, msgs in from_problem.items()}


def sentence(fields: dict[str, list[str]], names: dict[str, str]) -> str:
    """The messages as one sentence for a flash: "Username: this username is taken."."""
    return " ".join(f"{names.get(name, _('Form'))}: {' '.join(msgs)}"
                    for name, msgs in fields.items())
