"""Simple anomaly flags over the audit trail, computed in SQL.

Three flags, over a window ``[since, until)``:

- **unrelated access**: users with more than ``AUDIT_ANOMALY_DENIALS`` (default
  10) acts on cases they have no relation to -- denials with rule
  ``no_relation`` (whatever the action: each is an attempt at a case that does
  not exist for them) plus break-glass uses (``case:break_glass`` allowed);
- **re-identifications**: users with more than ``AUDIT_ANOMALY_REIDENTIFICATIONS``
  (default 10) allowed ``case:reidentify`` on one local day;
- **off hours**: per user, the events outside office hours -- before 07:00 or from
  19:00 Europe/Brussels local time, or on a day that is not a working day (a weekend,
  a Belgian public holiday, a configured closing day: referral.core.calendar);
- **match probes**: registrations that found a match and were closed as "no concern"
  by the same user within a day -- someone trying national numbers to learn who is known;
- **new accounts reading content**: accounts that read case content (a note, the
  identity, meeting material, a feedback sheet) within their first 24 hours -- an
  account made to read what its maker may not (policies/grants.py).

Local time is worked out in Python with :mod:`zoneinfo` (daylight saving time
included) and handed to the database as UTC boundaries: the office hours of
each weekday in the window, and each local day.  The database only compares
``at`` with those boundaries, so the same statements run on SQLite (which has
no time zone database) and PostgreSQL, and the counting stays in SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, false, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from referral.accounts.models import User
from referral.core.calendar import is_working_day
from referral.core.ledger.models import AuditEvent

TIMEZONE = "Europe/Brussels"
OFFICE_OPENS, OFFICE_CLOSES = time(7), time(19)
OFFICE_HOURS = ("working days (Monday to Friday, not a Belgian public holiday or closing day), "
                "07:00-19:00 Europe/Brussels")
DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=366)
DEFAULT_DENIALS = 10
DEFAULT_REIDENTIFICATIONS = 10

_ONE_DAY = timedelta(days=1)


@cache
def _tz() -> ZoneInfo:
    # Looked up on first use, not at import: without a time zone database (the system's
    # or the tzdata package) only the anomaly flags fail, not the application.
    return ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class Thresholds:
    unrelated_access: int = DEFAULT_DENIALS
    reidentifications_per_day: int = DEFAULT_REIDENTIFICATIONS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """``AUDIT_ANOMALY_DENIALS`` and ``AUDIT_ANOMALY_REIDENTIFICATIONS`` (integers)."""

        def setting(name: str, default: int) -> int:
            raw = config.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be an integer") from None
            if value < 0:
                raise ValueError(f"{name} must not be negative")
            return value

        return cls(setting("AUDIT_ANOMALY_DENIALS", DEFAULT_DENIALS),
                   setting("AUDIT_ANOMALY_REIDENTIFICATIONS", DEFAULT_REIDENTIFICATIONS))


def window(since: datetime | None, until: datetime | None,
           now: datetime) -> tuple[datetime, datetime]:
    """The window asked for: ``until`` defaults to now, ``since`` to seven days before.

    Raises ``ValueError`` when it is empty or longer than :data:`MAX_WINDOW`.
    """
    until = (until or now).astimezone(UTC)
    since = (since or until - DEFAULT_WINDOW).astimezone(UTC)
    if until <= since:
        raise ValueError("until must be later than since.")
    if until - since > MAX_WINDOW:
        raise ValueError(f"The window may span at most {MAX_WINDOW.days} days.")
    return since, until


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, _tz()).astimezone(UTC)


def local_days(since: datetime, until: datetime) -> Iterator[tuple[date, datetime, datetime]]:
    """Each local day overlapping the window: (day, start, end) in UTC, cut to the window."""
    day = since.astimezone(_tz()).date()
    last = (until - timedelta(microseconds=1)).astimezone(_tz()).date()
    while day <= last:
        start, end = _local(day, time(0)), _local(day + _ONE_DAY, time(0))
        yield day, max(start, since), min(end, until)
        day += _ONE_DAY


def office_intervals(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The office hours inside the window, as UTC intervals ``[start, end)``."""
    spans = []
    for day, _start, _end in local_days(since, until):
        if not is_working_day(day):
            continue
        start = max(_local(day, OFFICE_OPENS), since)
        end = min(_local(day, OFFICE_CLOSES), until)
        if start < end:
            spans.append((start, end))
    return spans


def is_office_hours(at: datetime) -> bool:
    """The same rule for one time (used by the pages and the tests)."""
    local = at.astimezone(_tz())
    return is_working_day(local.date()) and OFFICE_OPENS <= local.time() < OFFICE_CLOSES


def _in_window(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    return [AuditEvent.at >= since, AuditEvent.at < until,
            AuditEvent.actor_user_id.is_not(None)]


def unrelated_access(s: Session, since: datetime, until: datetime,
                     threshold: int) -> list[dict[str, Any]]:
    """Users with more than ``threshold`` no-relation denials and break-glass uses."""
    denied = and_(AuditEvent.outcome == "denied", AuditEvent.rule == "no_relation")
    glass = and_(AuditEvent.action == "case:break_glass", AuditEvent.outcome == "allowed")
    total = func.count()
    rows = s.execute(
        select(AuditEvent.actor_user_id, AuditEvent.actor_organisation_id,
               func.sum(case((denied, 1), else_=0)).label("denials"),
               func.sum(case((glass, 1), else_=0)).label("break_glass"),
               total.label("total"),
               func.count(AuditEvent.case_id.distinct()).label("cases"))
        .where(*_in_window(since, until), or_(denied, glass))
        .group_by(AuditEvent.actor_user_id, AuditEvent.actor_organisation_id)
        .having(total > threshold)
        .order_by(total.desc(), AuditEvent.actor_user_id))
    return [{"user_id": r.actor_user_id, "organisation_id": r.actor_organisation_id,
             "denials": int(r.denials), "break_glass": int(r.break_glass),
             "total": int(r.total), "cases": int(r.cases)} for r in rows]


def reidentifications(s: Session, since: datetime, until: datetime,
                      threshold: int) -> list[dict[str, Any]]:
    """(user, local day) with more than ``threshold`` allowed re-identifications."""
    days = list(local_days(since, until))
    day_index = case(*[(and_(AuditEvent.at >= start, AuditEvent.at < end), literal(i))
                       for i, (_day, start, end) in enumerate(days)], else_=literal(-1))
    per_event = (
        select(AuditEvent.actor_user_id.label("user_id"),
               AuditEvent.actor_organisation_id.label("organisation_id"),
               day_index.label("day"))
        .where(*_in_window(since, until), AuditEvent.action == "case:reidentify",
               AuditEvent.outcome == "allowed")
        .subquery())
    total = func.count()
    rows = s.execute(
        select(per_event.c.user_id, per_event.c.organisation_id, per_event.c.day,
               total.label("n"))
        .group_by(per_event.c.user_id, per_event.c.organisation_id, per_event.c.day)
        .having(total > threshold)
        .order_by(per_event.c.day, total.desc(), per_event.c.user_id))
    return [{"user_id": r.user_id, "organisation_id": r.organisation_id,
             "day": days[r.day][0], "count": int(r.n)} for r in rows if r.day >= 0]


def off_hours(s: Session, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per user, the events outside office hours in the window."""
    spans = office_intervals(since, until)
    inside = or_(false(), *[and_(AuditEvent.at >= start, AuditEvent.at < end)
                            for start, end in spans])
    total = func.count()
    rows = s.execute(
        select(AuditEvent.actor_user_id, AuditEvent.actor_organisation_id,
               total.label("n"), func.count(AuditEvent.case_id.distinct()).label("cases"),
               func.min(AuditEvent.at).label("first_at"),
               func.max(AuditEvent.at).label("last_at"))
        .where(*_in_window(since, until), not_(inside))
        .group_by(AuditEvent.actor_user_id, AuditEvent.actor_organisation_id)
        .order_by(total.desc(), AuditEvent.actor_user_id))
    return [{"user_id": r.actor_user_id, "organisation_id": r.actor_organisation_id,
             "count": int(r.n), "cases": int(r.cases), "first_at": r.first_at,
             "last_at": r.last_at} for r in rows]


PROBE_PERIOD = timedelta(hours=24)


def match_probes(s: Session, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per user, cases registered with a match and closed "no concern" within a day."""
    # The first match of each case, joined in SQL: no list of matched cases leaves the
    # database (a year of registrations would be a long IN list).
    matched = (select(AuditEvent.case_id.label("case_id"),
                      func.min(AuditEvent.at).label("matched_at"))
               .where(*_in_window(since - PROBE_PERIOD, until),
                      AuditEvent.action == "case:match")
               .group_by(AuditEvent.case_id).subquery())
    closed = s.execute(
        select(AuditEvent.actor_user_id, AuditEvent.actor_organisation_id, AuditEvent.at,
               matched.c.matched_at)
        .join(matched, matched.c.case_id == AuditEvent.case_id)
        .where(*_in_window(since, until), AuditEvent.action == "case:transition",
               AuditEvent.purpose.like("close_no_concern:%"))
        .order_by(AuditEvent.seq)).all()
    # The 24-hour comparison in Python: date arithmetic differs between the databases.
    found: dict[Any, dict[str, Any]] = {}
    for user_id, org_id, at, matched_at in closed:
        if at - matched_at > PROBE_PERIOD:
            continue
        entry = found.setdefault(user_id, {"user_id": user_id, "organisation_id": org_id,
                                           "cases": 0, "last_at": at})
        entry["cases"] += 1
        entry["last_at"] = at
    return list(found.values())


NEW_ACCOUNT_PERIOD = timedelta(hours=24)
CONTENT_READS = ("note:read", "case:reidentify", "meeting:material", "feedback:read")


def new_accounts_reading_content(s: Session, since: datetime, until: datetime
                                 ) -> list[dict[str, Any]]:
    """Accounts with allowed content reads in the window within a day of their creation."""
    created = (select(User.id, User.created_at).where(User.created_at < until,
                                                      User.created_at >= since - NEW_ACCOUNT_PERIOD)
               .subquery())
    reads = s.execute(
        select(AuditEvent.actor_user_id, AuditEvent.actor_organisation_id, AuditEvent.at,
               created.c.created_at)
        .join(created, created.c.id == AuditEvent.actor_user_id)
        .where(*_in_window(since, until), AuditEvent.outcome == "allowed",
               AuditEvent.action.in_(CONTENT_READS))
        .order_by(AuditEvent.seq)).all()
    # The 24-hour comparison in Python: date arithmetic differs between the databases.
    found: dict[Any, dict[str, Any]] = {}
    for user_id, org_id, at, made in reads:
        if at - made > NEW_ACCOUNT_PERIOD:
            continue
        entry = found.setdefault(user_id, {"user_id": user_id, "organisation_id": org_id,
                                           "created_at": made, "first_read_at": at,
                                           "reads": 0})
        entry["reads"] += 1
    return list(found.values())


def compute(s: Session, since: datetime, until: datetime,
            thresholds: Thresholds) -> dict[str, Any]:
    """All three flags for the window (see the module docstring)."""
    return {
        "since": since, "until": until, "timezone": TIMEZONE, "office_hours": OFFICE_HOURS,
        "unrelated_access_threshold": thresholds.unrelated_access,
        "reidentification_threshold": thresholds.reidentifications_per_day,
        "unrelated_access": unrelated_access(s, since, until, thresholds.unrelated_access),
        "reidentifications": reidentifications(s, since, until,
                                               thresholds.reidentifications_per_day),
        "off_hours": off_hours(s, since, until),
        "new_accounts": new_accounts_reading_content(s, since, until),
        "match_probes": match_probes(s, since, until),
    }


def describe(since: datetime, until: datetime) -> str:
    return f"anomalies from {since.isoformat()} until {until.isoformat()}"
