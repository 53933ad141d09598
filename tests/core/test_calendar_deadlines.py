"""The deadlines the services set and the jobs keep, on Belgian working days in Brussels time:
referral expiry, screening, reviews, and the auditors' off-hours flag."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from referral.audit import anomalies
from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.notifications.models import Notification
from tests.audit.workspace_support import record_at, user_row
from tests.core.calendar_support import brussels, travel_to
from tests.factories import build, in_session, org_id


def _refer(world, username: str = "owner_rp") -> dict:
    case = build(world)
    r = world.login(username).post(f"/api/v1/cases/{case.id}/referrals", json={
        "to_organisation_id": str(world.orgs["CGG Gent"].id), "kind": "service",
        "sphere_of_life": "trauma", "purpose": "trauma counselling"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _expires_at(body: dict) -> datetime:
    return datetime.fromisoformat(body["expires_at"])


def _state(dbs, referral_id: str) -> str:
    state = dbs.scalar(select(Referral._state).where(Referral.id == uuid.UUID(referral_id)))
    dbs.rollback()
    return str(state)


def _run(world, job: str) -> None:
    r = world.app.test_cli_runner().invoke(args=["jobs", "run", "--only", job])
    assert r.exit_code == 0, r.output


def test_a_referral_offered_before_easter_expires_at_the_end_of_tuesday_7_april(world, dbs):
    travel_to(brussels(2026, 3, 30, 10))  # Monday 30 March 2026, 10:00 in Brussels
    body = _refer(world)
    # Five working days: 31 March, 1, 2, 3 April, Easter Monday skipped, Tuesday 7 April;
    # the end of that day in Brussels (summer time, UTC+2), stored as UTC.
    assert _expires_at(body) == brussels(2026, 4, 7, 23, 59, 59, 999000)
    assert _expires_at(body) == datetime(2026, 4, 7, 21, 59, 59, 999000, tzinfo=UTC)
    # Not on Easter Monday at 23:59 UTC, as a count on UTC dates without holidays had it.
    travel_to(datetime(2026, 4, 7, 0, 0, 1, tzinfo=UTC))
    _run(world, "expire_referrals")
    assert _state(dbs, body["id"]) == "offered"
    travel_to(datetime(2026, 4, 7, 21, 59, 59, tzinfo=UTC))
    _run(world, "expire_referrals")
    assert _state(dbs, body["id"]) == "offered"
    # From Wednesday 00:00 in Brussels it has expired.
    travel_to(brussels(2026, 4, 8, 0, 0, 1))
    _run(world, "expire_referrals")
    assert _state(dbs, body["id"]) == "expired"


def test_a_deadline_across_the_switch_to_summer_time_counts_brussels_days(world):
    # 23:30 UTC on Thursday 26 March is 00:30 on Friday 27 March in Brussels (winter time):
    # the count starts on Friday.  Monday 30, Tuesday 31, Wednesday 1, Thursday 2, Friday 3
    # April; summer time since Sunday 29 March, so the day ends at 21:59:59.999 UTC.
    travel_to(datetime(2026, 3, 26, 23, 30, tzinfo=UTC))
    body = _refer(world)
    assert _expires_at(body) == datetime(2026, 4, 3, 21, 59, 59, 999000, tzinfo=UTC)


def test_a_deadline_across_the_switch_to_winter_time(world):
    travel_to(brussels(2026, 10, 21, 16))  # Wednesday, summer time
    body = _refer(world)
    # Thursday 22, Friday 23, Monday 26, Tuesday 27, Wednesday 28 October: winter time.
    assert _expires_at(body) == datetime(2026, 10, 28, 22, 59, 59, 999000, tzinfo=UTC)


def test_closing_days_move_the_deadline(world):
    travel_to(brussels(2026, 10, 29, 9))  # Thursday 29 October 2026
    body = _refer(world)
    # Friday 30, (Monday 2 November closed), 3, 4, 5, 6 November.
    assert _expires_at(body) == brussels(2026, 11, 6, 23, 59, 59, 999000)
    world.app.config["CLOSING_DAYS"] = ""
    other = world.login("owner_rp").post(f"/api/v1/cases/{body['case_id']}/referrals", json={
        "to_organisation_id": str(world.orgs["VDAB Gent"].id), "kind": "service",
        "sphere_of_life": "training_employment", "purpose": "a job"})
    assert other.status_code == 201, other.get_json()
    assert _expires_at(other.get_json()) == brussels(2026, 11, 5, 23, 59, 59, 999000)


def test_screening_is_due_within_five_working_days_and_reminded_on_brussels_days(world, dbs):
    travel_to(brussels(2026, 3, 30, 10))
    build(world)
    r = world.login("owner_rp").post("/api/v1/cases", json={
        "livc_id": str(world.livc.id), "identity": {
            "family_name": "Claes", "given_names": "Mira", "birth_date": "1999-04-01"}})
    assert r.status_code == 201, r.get_json()
    case_id = r.get_json()["id"]
    header = world.login("owner_rp").get(f"/api/v1/cases/{case_id}").get_json()
    assert header["screening_due"] == "2026-04-07"

    def reminded() -> bool:
        found = dbs.scalar(select(Notification.id).where(
            Notification.kind == "screening_overdue",
            Notification.link.contains(case_id)).limit(1))
        dbs.rollback()
        return found is not None

    travel_to(brussels(2026, 4, 7, 23, 30))  # still the due day in Brussels (21:30 UTC)
    _run(world, "screening_overdue")
    assert not reminded()
    travel_to(brussels(2026, 4, 8, 0, 30))  # Wednesday in Brussels, Tuesday in UTC
    _run(world, "screening_overdue")
    assert reminded()


def test_a_review_falling_due_on_easter_monday_is_due_on_the_tuesday(world, dbs):
    # The LIVC's review interval is 90 days: from Tuesday 6 January 2026 that is Easter
    # Monday, 6 April.
    travel_to(brussels(2026, 1, 6, 10))
    case, chair, meeting = in_session(world, state="proposed")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Start guidance.",
        "coordinator_organisation_id": org_id(world, "CAW Gent")})
    assert r.status_code == 201, r.get_json()
    due = dbs.scalar(select(Case.next_review_due).where(Case.id == case.id))
    dbs.rollback()
    assert due == date(2026, 4, 7)


# -- the auditors' off-hours flag --------------------------------------------------------------

def test_office_hours_are_working_days_only():
    assert anomalies.is_office_hours(brussels(2026, 4, 7, 10))            # Tuesday
    assert not anomalies.is_office_hours(brussels(2026, 4, 6, 10))        # Easter Monday
    assert not anomalies.is_office_hours(brussels(2026, 11, 2, 10))       # a closing day
    assert not anomalies.is_office_hours(brussels(2026, 7, 21, 10))       # National Day
    since, until = brussels(2026, 4, 3), brussels(2026, 4, 8)
    assert anomalies.office_intervals(since, until) == [
        (brussels(2026, 4, 3, 7), brussels(2026, 4, 3, 19)),
        (brussels(2026, 4, 7, 7), brussels(2026, 4, 7, 19))]


def test_work_on_a_public_holiday_is_flagged_off_hours(world):
    travel_to(brussels(2026, 4, 3, 18))
    build(world)
    owner, partner = user_row(world, "owner_rp"), user_row(world, "accepted_rp")
    case_id = uuid.uuid4()
    record_at(world, brussels(2026, 4, 6, 10), owner, "case:read", n=2, case_id=case_id)
    record_at(world, brussels(2026, 4, 7, 10), partner, "case:read", n=3, case_id=case_id)
    auditor = world.login("auditor1")  # Tuesday 10:00: office hours
    window = {"since": brussels(2026, 4, 6).isoformat(),
              "until": (brussels(2026, 4, 7, 10) + timedelta(minutes=5)).isoformat()}
    r = auditor.get(f"/api/v1/audit/anomalies?{urlencode(window)}")
    assert r.status_code == 200, r.get_json()
    off = {f["user_id"]: f["count"] for f in r.get_json()["off_hours"]}
    assert off == {str(owner.id): 2}
