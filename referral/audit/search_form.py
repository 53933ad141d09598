"""The auditor's search form: what was typed and chosen, turned into ledger filters.

An auditor searches by case reference or pseudonym, by a person's name, by an
organisation chosen by name, by action and outcome, over whole Brussels days; the
ledger is searched by ids and UTC instants.  :func:`read` checks the form
(no database), :func:`resolve` looks the names up (inside the search's transaction,
so that they are part of the recorded ``audit:search``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from referral.audit import directory
from referral.audit.schemas import OUTCOMES
from referral.web import i18n

FIELDS = ("case", "user", "organisation", "action", "outcome", "since", "until")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass
class Search:
    form: dict[str, str]
    filters: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # nothing searched
    notes: dict[str, list[str]] = field(default_factory=dict)  # searched, found nothing
    cases: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    users: list[directory.Person] = field(default_factory=list)

    @property
    def args(self) -> dict[str, Any]:
        """The form's non-empty fields, for links that repeat this search."""
        return {k: v for k, v in self.form.items() if v}


def parse_day(text: str) -> date | None:
    """A day as the date input sends it (YYYY-MM-DD) or as people write it (DD/MM/YYYY)."""
    text = text.strip()
    try:
        found = _DAY_MONTH_YEAR.match(text)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in Brussels, as UTC."""
    return datetime.combine(day, time(0), ZoneInfo(i18n.TIMEZONE)).astimezone(UTC)


def read(args: Mapping[str, str]) -> Search:
    """The form's fields, checked; ids not yet looked up."""
    search = Search(form={k: args.get(k, "").strip()[:200] for k in FIELDS})
    form, filters, errors = search.form, search.filters, search.errors
    if form["organisation"]:
        try:
            filters["organisation_id"] = uuid.UUID(form["organisation"])
        except ValueError:
            errors["organisation"] = [_("Choose an organisation from the list.")]
    if form["action"]:
        filters["action"] = form["action"][:60]
    if form["outcome"]:
        if form["outcome"] in OUTCOMES:
            filters["outcome"] = form["outcome"]
        else:
            errors["outcome"] = [_("Choose one of the options offered.")]
    days: dict[str, date] = {}
    for name in ("since", "until"):
        if not form[name]:
            continue
        day = parse_day(form[name])
        if day is None or not date(1900, 1, 1) <= day <= date(9000, 1, 1):
            errors[name] = [_("Enter a date as DD/MM/YYYY or YYYY-MM-DD.")]
        else:
            days[name] = day
            form[name] = day.isoformat()  # what a date input can show again
    if "since" in days:
        filters["since"] = day_start(days["since"])
    if "until" in days:
        # The last day is included: the search ends at the next midnight.
        filters["until"] = day_start(days["until"] + timedelta(days=1))
    if "since" in days and "until" in days and days["until"] < days["since"]:
        errors["until"] = [_("The last day must not come before the first day.")]
    return search


def resolve(s: Session, search: Search) -> Search:
    """Look up the case and the user typed; a name matching nothing finds no events."""
    form = search.form
    if form["case"]:
        search.cases = directory.cases_matching(s, form["case"])
        if len(search.cases) > directory.MAX_MATCHES:
            search.errors["case"] = [_("Too many cases match; type the full reference.")]
        elif not search.cases:
            search.notes["case"] = [_("No case has this reference or pseudonym.")]
        search.filters["case_ids"] = [case_id for case_id, _ref in search.cases]
    if form["user"]:
        search.users = directory.users_matching(s, form["user"])
        if len(search.users) > directory.MAX_MATCHES:
            search.errors["user"] = [_("Too many users match; type more of the name.")]
        elif not search.users:
            search.notes["user"] = [_("No user has this name or username.")]
        search.filters["actor_ids"] = [p.id for p in search.users]
    return search

