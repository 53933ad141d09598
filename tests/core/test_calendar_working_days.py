"""Working days as a Belgian office counts them: public holidays, closing days, Brussels days;
and GET /api/v1/calendar/working-days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from referral.core import calendar
from referral.core.config import ConfigurationError, resolve
from tests.core.calendar_support import brussels, travel_to
from tests.factories import assert_problem

DEFAULT = calendar.parse_closing_days(calendar.DEFAULT_CLOSING_DAYS)
NONE: frozenset[tuple[int, int]] = frozenset()
URL = "/api/v1/calendar/working-days"


def test_easter_monday_is_not_a_working_day():
    # Monday 30 March 2026 + 5 working days: 31 March, 1, 2, 3 April, (Easter Monday 6 April
    # skipped), Tuesday 7 April.
    assert calendar.add_working_days(date(2026, 3, 30), 5) == date(2026, 4, 7)
    assert not calendar.is_working_day(date(2026, 4, 6))
    assert calendar.public_holiday(date(2026, 4, 6)) == "Easter Monday"


@pytest.mark.parametrize("holiday", [
    date(2026, 1, 1), date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 25),
    date(2026, 7, 21), date(2027, 11, 1), date(2026, 11, 11), date(2026, 12, 25)])
def test_belgian_public_holidays_on_weekdays_are_not_working_days(holiday):
    assert holiday.weekday() < 5
    assert not calendar.is_working_day(holiday, NONE)


def test_the_default_closing_days_are_closed():
    # 11 July 2025 (Friday), 2 November 2026 (Monday), 15 November 2027 (Monday),
    # 26 December 2025 (Friday): no public holidays, but the services are closed.
    for day in (date(2025, 7, 11), date(2026, 11, 2), date(2027, 11, 15), date(2025, 12, 26)):
        assert day.weekday() < 5
        assert calendar.public_holiday(day) is None
        assert calendar.is_working_day(day, NONE)
        assert not calendar.is_working_day(day, DEFAULT)
    # Thursday 29 October 2026 + 3: Friday 30, (Monday 2 November closed) Tuesday 3,
    # Wednesday 4.
    assert calendar.add_working_days(date(2026, 10, 29), 3, DEFAULT) == date(2026, 11, 4)
    assert calendar.add_working_days(date(2026, 10, 29), 3, NONE) == date(2026, 11, 3)


def test_zero_days_is_the_first_working_day_on_or_after():
    assert calendar.add_working_days(date(2026, 4, 3), 0) == date(2026, 4, 3)  # a Friday
    assert calendar.add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 7)  # Sat -> Tue


def test_working_days_between_counts_what_add_adds():
    start = date(2026, 12, 18)
    for n in range(0, 30):
        end = calendar.add_working_days(start, n) if n else start
        assert calendar.working_days_between(start, end) == n


def test_days_are_brussels_days_across_daylight_saving():
    # 23:30 UTC on Thursday 26 March 2026 is already Friday in Brussels (UTC+1).
    assert calendar.local_date(datetime(2026, 3, 26, 23, 30, tzinfo=UTC)) == date(2026, 3, 27)
    # The end of a day is 23:59:59.999 local: 22:59:59.999 UTC in winter, 21:59:59.999 in
    # summer (the switch is on Sunday 29 March 2026 and Sunday 25 October 2026).
    assert calendar.end_of_day(date(2026, 3, 27)) == datetime(2026, 3, 27, 22, 59, 59, 999000,
                                                              tzinfo=UTC)
    assert calendar.end_of_day(date(2026, 3, 30)) == datetime(2026, 3, 30, 21, 59, 59, 999000,
                                                              tzinfo=UTC)
    # Offered on Wednesday 21 October (summer time), due Wednesday 28 October (winter time).
    assert calendar.deadline(brussels(2026, 10, 21, 16), 5) == brussels(
        2026, 10, 28, 23, 59, 59, 999000)
    assert calendar.deadline(brussels(2026, 10, 21, 16), 5) == datetime(
        2026, 10, 28, 22, 59, 59, 999000, tzinfo=UTC)


def test_closing_days_are_configured_and_checked_at_start(tmp_path):
    settings = resolve({"ENV": "development"}, tmp_path)
    assert settings["CLOSING_DAYS"] == "07-11,11-02,11-15,12-26"
    assert settings["RESPONSE_TIME_AMBER_SHARE"] == 0.75
    assert calendar.parse_closing_days("12-24, 12-31") == {(12, 24), (12, 31)}
    assert calendar.parse_closing_days("") == frozenset()
    for bad in ("11/02", "13-01", "02-30", "1-2", "christmas"):
        with pytest.raises(ConfigurationError, match="REFERRAL_CLOSING_DAYS"):
            resolve({"ENV": "development", "CLOSING_DAYS": bad}, tmp_path)
    for share in (0, 1.5, -0.1):
        with pytest.raises(ConfigurationError, match="RESPONSE_TIME_AMBER_SHARE"):
            resolve({"ENV": "development", "RESPONSE_TIME_AMBER_SHARE": share}, tmp_path)


# -- the API ---------------------------------------------------------------------------------

def test_the_api_counts_working_days_and_names_what_it_skipped(world, admin):
    r = admin.get(f"{URL}?from=2026-03-30&days=5")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"date": "2026-04-07", "from": "2026-03-30", "days": 5, "skipped": [
        {"date": "2026-04-06", "reason": "public_holiday", "name": "Easter Monday"}]}
    body = admin.get(f"{URL}?from=2026-10-29&days=3").get_json()
    assert body["date"] == "2026-11-04"
    assert body["skipped"] == [{"date": "2026-11-02", "reason": "closing_day", "name": None}]


def test_the_api_follows_the_configured_closing_days(app, world, admin):
    app.config["CLOSING_DAYS"] = "10-30"
    body = admin.get(f"{URL}?from=2026-10-29&days=3").get_json()
    # Friday 30 October closed now, Monday 2 November open.
    assert body["date"] == "2026-11-04"
    assert body["skipped"] == [{"date": "2026-10-30", "reason": "closing_day", "name": None}]


def test_from_defaults_to_today_in_brussels(world):
    travel_to(brussels(2026, 4, 3, 0, 30))  # Friday 00:30 in Brussels, Thursday in UTC
    world.org("Operator", "other")
    world.user("root", "Operator", ["admin"])
    body = world.login("root").get(f"{URL}?days=1").get_json()
    assert (body["from"], body["date"]) == ("2026-04-03", "2026-04-07")


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-02-30&days=5", "from"), ("from=30-03-2026&days=5", "from"),
    ("from=1999-12-31&days=5", "from"), ("from=2026-03-30&days=366", "days"),
    ("from=2026-03-30&days=-1", "days"), ("from=2026-03-30&days=five", "days"),
    ("from=2026-03-30", "days")])
def test_bad_parameters_are_422_naming_them(world, admin, query, field):
    body = assert_problem(admin.get(f"{URL}?{query}"), 422)
    assert list(body["errors"]) == [field]


def test_the_calendar_is_for_logged_in_users_only(client):
    assert_problem(client.get(f"{URL}?from=2026-03-30&days=5"), 401)


def test_the_settings_come_from_the_environment(tmp_path):
    from referral.core.config import from_environment

    env = {"REFERRAL_CLOSING_DAYS": "12-24", "REFERRAL_RESPONSE_TIME_AMBER_SHARE": "0.5"}
    settings = resolve({"ENV": "development", **from_environment(env)}, tmp_path)
    assert (settings["CLOSING_DAYS"], settings["RESPONSE_TIME_AMBER_SHARE"]) == ("12-24", 0.5)
    with pytest.raises(ConfigurationError, match="must be a number"):
        from_environment({"REFERRAL_RESPONSE_TIME_AMBER_SHARE": "most"})
