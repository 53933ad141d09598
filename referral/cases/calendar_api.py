"""``GET /api/v1/calendar/working-days``: the deadline arithmetic the services use, for a
partner's own planning (Belgian public holidays and the configured closing days)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, fields, validate

from referral.core import calendar
from referral.core.schemas import OutputSchema
from referral.web.api import api_blueprint, route

bp = api_blueprint("calendar")

# Far enough for any deadline, near enough for the holiday tables (and no date overflow).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
MAX_DAYS = 365


class WorkingDaysQuery(Schema):
    from_ = fields.Date(data_key="from", load_default=None,
                        validate=validate.Range(min=EARLIEST, max=LATEST),
                        metadata={"description": "YYYY-MM-DD; default: today in Brussels"})
    days = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_DAYS),
                          metadata={"description": "working days to add; 0: the first "
                                    "working day on or after `from`"})


class SkippedDayOut(OutputSchema):
    date = fields.Date()
    reason = fields.String(metadata={"enum": ["public_holiday", "closing_day"]})
    name = fields.String(allow_none=True)


class WorkingDaysOut(OutputSchema):
    date = fields.Date()
    from_ = fields.Date(data_key="from")
    days = fields.Integer()
    skipped = fields.List(fields.Nested(SkippedDayOut),
                          metadata={"description": "weekdays on the way that are not "
                                    "working days (weekends are not listed)"})


def _skipped(start: date, end: date, *, include_start: bool) -> list[dict[str, Any]]:
    closing = calendar.configured_closing_days()
    day = start if include_start else start + timedelta(days=1)
    found = []
    while day <= end:
        if day.weekday() < 5 and not calendar.is_working_day(day, closing):
            name = calendar.public_holiday(day)
            found.append({"date": day, "name": name,
                          "reason": "public_holiday" if name else "closing_day"})
        day += timedelta(days=1)
    return found


@route(bp, "/calendar/working-days", "GET", action="calendar:read", query=WorkingDaysQuery,
       response=WorkingDaysOut,
       summary="The working day N working days after a date (Belgian public holidays and "
               "the configured closing days excluded)")
def working_days(query: dict[str, Any]) -> Any:
    start = query.get("from_") or calendar.today()
    result = calendar.add_working_days(start, query["days"])
    return {"date": result, "from_": start, "days": query["days"],
            "skipped": _skipped(start, result, include_start=query["days"] == 0)}
