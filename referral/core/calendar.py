"""Working days and deadlines, as a Belgian office counts them.

A working day is a Monday to Friday that is neither a Belgian public holiday (the
``holidays`` library, country ``BE``) nor one of the configured closing days
(``REFERRAL_CLOSING_DAYS``, month-day pairs such as ``07-11,11-02,11-15,12-26``: the
Flemish community's day, All Souls, the King's feast and Boxing Day, when services are
closed although the law does not say so).

Days are Europe/Brussels days: a deadline "within 5 working days" ends at the end of the
fifth working day *in Brussels* (23:59:59.999 local time, daylight saving time included),
stored as UTC.  Counting on UTC dates would end a deadline two hours early in summer, and
a signal logged at 00:30 on a Tuesday in Brussels would count from Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from flask import current_app, has_app_context

from referral.core import clock

TIMEZONE = "Europe/Brussels"
COUNTRY = "BE"
DEFAULT_CLOSING_DAYS = "07-11,11-02,11-15,12-26"
END_OF_DAY = time(23, 59, 59, 999000)

ClosingDays = frozenset[tuple[int, int]]

_ONE_DAY = timedelta(days=1)


@cache
def _tz() -> ZoneInfo:
    return ZoneInfo(TIMEZONE)


@cache
def parse_closing_days(raw: str) -> ClosingDays:
    """``"07-11,11-02"`` -> {(7, 11), (11, 2)}; ``ValueError`` naming the bad entry."""
    days: set[tuple[int, int]] = set()
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        month, sep, day = item.partition("-")
        try:
            if not sep or len(month) != 2 or len(day) != 2:
                raise ValueError
            # A leap year, so that 02-29 is a valid closing day.
            date(2024, int(month), int(day))
        except ValueError:
            raise ValueError(f"closing day {item!r} is not a month-day pair such as 11-02") \
                from None
        days.add((int(month), int(day)))
    return frozenset(days)


def configured_closing_days() -> ClosingDays:
    """The running application's closing days; the defaults outside an application."""
    raw = DEFAULT_CLOSING_DAYS
    if has_app_context():
        raw = current_app.config.get("CLOSING_DAYS", DEFAULT_CLOSING_DAYS)
    return parse_closing_days(raw or "")


@cache
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(COUNTRY, years=year, language="en_US").items())


def public_holiday(day: date) -> str | None:
    """The holiday's (English) name, or None."""
    return _public_holidays(day.year).get(day)


def is_closing_day(day: date, closing: ClosingDays | None = None) -> bool:
    closing = configured_closing_days() if closing is None else closing
    return (day.month, day.day) in closing


def is_working_day(day: date, closing: ClosingDays | None = None) -> bool:
    return (day.weekday() < 5 and public_holiday(day) is None
            and not is_closing_day(day, closing))


def add_working_days(start: date, days: int, closing: ClosingDays | None = None) -> date:
    """The working day ``days`` working days after ``start`` (``start`` itself not counted);
    for 0, the first working day on or after ``start``."""
    closing = configured_closing_days() if closing is None else closing
    if days == 0:
        return next_working_day(start, closing)
    current = start
    while days > 0:
        current += _ONE_DAY
        if is_working_day(current, closing):
            days -= 1
    return current


def next_working_day(day: date, closing: ClosingDays | None = None) -> date:
    """``day`` if it is a working day, else the first working day after it (a review falling
    due on a Sunday or on Easter Monday falls due on the Tuesday)."""
    closing = configured_closing_days() if closing is None else closing
    while not is_working_day(day, closing):
        day += _ONE_DAY
    return day


def working_days_between(start: date, end: date, closing: ClosingDays | None = None) -> int:
    """How many working days after ``start`` up to and including ``end`` (0 if not later):
    ``working_days_between(d, add_working_days(d, n)) == n``."""
    closing = configured_closing_days() if closing is None else closing
    count, current = 0, start
    while current < end:
        current += _ONE_DAY
        if is_working_day(current, closing):
            count += 1
    return count


def local_date(at: datetime) -> date:
    """The Brussels calendar day of an instant."""
    return at.astimezone(_tz()).date()


def today() -> date:
    """Today in Brussels, by the application's clock."""
    return local_date(clock.now())


def start_of_day(day: date) -> datetime:
    """00:00 Brussels time on ``day``, as UTC."""
    return datetime.combine(day, time(0), _tz()).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """23:59:59.999 Brussels time on ``day``, as UTC."""
    return datetime.combine(day, END_OF_DAY, _tz()).astimezone(UTC)


def deadline(at: datetime, days: int, closing: ClosingDays | None = None) -> datetime:
    """The end of the ``days``-th working day after the Brussels day of ``at``."""
    return end_of_day(add_working_days(local_date(at), days, closing))
