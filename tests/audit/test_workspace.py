"""The auditor's workspace through the API: break-glass reviews and anomaly flags."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from referral.audit import anomalies
from referral.audit.models import BreakGlassReview
from referral.cases.models import BreakGlass
from referral.core import clock
from tests.audit.workspace_support import break_glass, events, next_local, record_at, user_row
from tests.factories import assert_problem, build

BREAK_GLASS = "/api/v1/audit/break-glass"
ANOMALIES = "/api/v1/audit/anomalies"
BRUSSELS = ZoneInfo("Europe/Brussels")
PAGES = ("/audit", "/audit/events", f"/audit/cases/{uuid.UUID(int=1)}",
         f"/audit/users/{uuid.UUID(int=2)}", "/audit/denials", "/audit/break-glass",
         "/audit/anomalies")



# -- break-glass reviews through the API -------------------------------------------------------


def test_auditor_lists_and_reviews_break_glass_uses(world):
    case = build(world)
    grant_id = break_glass(world, case)
    auditor = world.login("auditor1")
    body = auditor.get(f"{BREAK_GLASS}?reviewed=false").get_json()
    assert body["total"] == 1
    [item] = body["items"]
    assert set(item) == {"id", "case_id", "user_id", "organisation_id", "reason", "granted_at",
                         "expires_at", "reviewed_at", "reviewed_by_user_id", "review_comment",
                         "version"}
    member_rp = user_row(world, "member_rp")
    assert (item["id"], item["case_id"], item["user_id"], item["organisation_id"]) == (
        grant_id, str(case.id), str(member_rp.id), str(member_rp.organisation_id))
    assert (item["reason"], item["reviewed_at"], item["review_comment"]) == (
        "imminent danger", None, None)

    url = f"{BREAK_GLASS}/{grant_id}/review"
    assert "comment" in assert_problem(auditor.post(url, json={"comment": ""}), 422)["errors"]
    assert "comment" in assert_problem(auditor.post(url, json={"comment": "   "}), 422)["errors"]
    assert_problem(auditor.post(url, json={"comment": "ok", "extra": 1}), 422)
    assert_problem(auditor.post(url, json={"comment": "ok", "version": 7}), 409)
    r = auditor.post(url, json={"comment": "Justified: police call logged.", "version": 1})
    assert r.status_code == 200, r.get_json()
    reviewed = r.get_json()
    auditor1 = user_row(world, "auditor1")
    assert reviewed["reviewed_by_user_id"] == str(auditor1.id)
    assert reviewed["review_comment"] == "Justified: police call logged."
    assert reviewed["reviewed_at"] is not None
    assert reviewed["version"] == 2
    assert r.headers["ETag"] == '"v2"'
    # Reviewing twice is a conflict, whatever the version claimed.
    assert_problem(auditor.post(url, json={"comment": "again"}), 409)
    assert_problem(auditor.post(url, json={"comment": "again", "version": 2}), 409)
    assert_problem(auditor.post(f"{BREAK_GLASS}/{uuid.uuid4()}/review",
                                json={"comment": "x"}), 404)

    assert auditor.get(f"{BREAK_GLASS}?reviewed=false").get_json()["items"] == []
    assert [i["id"] for i in auditor.get(f"{BREAK_GLASS}?reviewed=true").get_json()["items"]
            ] == [grant_id]
    assert auditor.get(BREAK_GLASS).get_json()["total"] == 1
    assert_problem(auditor.get(f"{BREAK_GLASS}?reviewed=maybe"), 422)

    with world.session() as s:
        [row] = s.scalars(select(BreakGlassReview)).all()
        assert (str(row.break_glass_id), row.reviewer_user_id, row.comment) == (
            grant_id, auditor1.id, "Justified: police call logged.")
        grant = s.get(BreakGlass, uuid.UUID(grant_id))
        assert (grant.reviewed_by_user_id, grant.version) == (auditor1.id, 2)
    # The review is audited once, naming the grant and its case but not the comment.
    [event] = events(world, "audit:break_glass_review")
    assert (event.outcome, event.object_id, event.case_id, event.actor_user_id) == (
        "allowed", grant_id, case.id, auditor1.id)
    assert "police call" not in (event.purpose or "")
    listings = events(world, "audit:break_glass_list")
    assert len(listings) == 4  # reviewed=maybe never reached the view
    assert all(e.outcome == "allowed" and e.actor_user_id == auditor1.id for e in listings)


def test_review_honours_if_match(world):
    case = build(world)
    grant_id = break_glass(world, case)
    auditor = world.login("auditor1")
    url = f"{BREAK_GLASS}/{grant_id}/review"
    assert_problem(auditor.post(url, json={"comment": "ok"}, headers={"If-Match": '"v3"'}),
                   409)
    r = auditor.post(url, json={"comment": "ok"}, headers={"If-Match": '"v1"'})
    assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize(("method", "path"), [
    ("get", BREAK_GLASS), ("get", f"{BREAK_GLASS}?reviewed=false"),
    ("post", f"{BREAK_GLASS}/{uuid.UUID(int=3)}/review"), ("get", ANOMALIES),
])
def test_workspace_api_is_for_auditors_only(world, method, path):
    build(world)
    body = {"comment": "looks fine"} if method == "post" else None
    for name in ("owner_rp", "admin1", "chair"):
        api = world.login(name)
        r = api.post(path, json=body) if method == "post" else api.get(path)
        assert_problem(r, 403, rule="auditor_only")
    anonymous = world.app.test_client()
    r = anonymous.post(path, json=body) if method == "post" else anonymous.get(path)
    assert_problem(r, 401)
    denied = [e for e in events(world, _action_of(method, path)) if e.outcome == "denied"]
    assert len(denied) == 3
    assert {e.rule for e in denied} == {"auditor_only"}


def _action_of(method: str, path: str) -> str:
    if path.startswith(ANOMALIES):
        return "audit:anomalies"
    return "audit:break_glass_review" if method == "post" else "audit:break_glass_list"


# -- anomalies ---------------------------------------------------------------------------------


def test_many_denied_reads_are_flagged(world):
    case = build(world)
    stranger = world.login("elsewhere_rp")
    for _ in range(11):
        assert_problem(stranger.get(f"/api/v1/cases/{case.id}"), 404)
    for _ in range(3):
        assert_problem(stranger.get(f"/api/v1/cases/{case.id}/notes"), 404)
    # Ten attempts are not more than ten: member_rp stays below the threshold.
    member_rp = world.login("member_rp")
    for _ in range(9):
        assert_problem(member_rp.get(f"/api/v1/cases/{case.id}"), 404)
    break_glass(world, case)
    auditor = world.login("auditor1")
    r = auditor.get(ANOMALIES)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["unrelated_access_threshold"] == 10
    assert body["reidentification_threshold"] == 10
    assert body["timezone"] == "Europe/Brussels"
    elsewhere = user_row(world, "elsewhere_rp")
    assert body["unrelated_access"] == [{
        "user_id": str(elsewhere.id), "organisation_id": str(elsewhere.organisation_id),
        "denials": 14, "break_glass": 0, "total": 14, "cases": 1}]
    assert body["reidentifications"] == []
    # The window: the last seven days by default; the query is audited.
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert until - since == timedelta(days=7)
    [event] = events(world, "audit:anomalies")
    assert event.outcome == "allowed"
    # One more break-glass use makes member_rp's ten acts eleven.
    world.app.config["AUDIT_ANOMALY_DENIALS"] = "9"
    flagged = {f["user_id"]: f for f in auditor.get(ANOMALIES).get_json()["unrelated_access"]}
    assert flagged[str(user_row(world, "member_rp").id)]["break_glass"] == 1
    assert flagged[str(user_row(world, "member_rp").id)]["total"] == 10
    # A window before the reads finds nothing.
    early = {"until": (clock.now() - timedelta(days=1)).isoformat()}
    assert auditor.get(f"{ANOMALIES}?{urlencode(early)}").get_json()["unrelated_access"] == []


@pytest.mark.parametrize("params", [
    {"since": "yesterday"}, {"until": "2026-02-30T00:00:00Z"},
    {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    {"since": "2024-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
])
def test_anomaly_window_is_validated(world, params):
    build(world)
    body = assert_problem(world.login("auditor1").get(f"{ANOMALIES}?{urlencode(params)}"), 422)
    assert set(body["errors"]) <= {"since", "until"}


def test_reidentifications_above_the_daily_threshold_and_off_hours(world):
    build(world)
    owner, accepted = user_row(world, "owner_rp"), user_row(world, "accepted_rp")
    start = clock.now()
    # A Saturday, 03:00 in Brussels: weekend and night.
    saturday = next_local(5, 3, after=start)
    monday_early = next_local(0, 6, 59, after=saturday)
    monday_open = monday_early + timedelta(minutes=1)          # 07:00: office hours
    monday_late = next_local(0, 18, 59, after=saturday)        # 18:59: office hours
    monday_close = monday_late + timedelta(minutes=1)          # 19:00: outside
    tuesday = next_local(1, 10, after=monday_close)            # 10:00: office hours
    case_id = uuid.uuid4()
    record_at(world, saturday, owner, "case:reidentify", n=11, case_id=case_id,
               object_type="case", object_id=case_id)
    record_at(world, monday_early, accepted, "case:read", n=2, case_id=case_id)
    record_at(world, monday_open, accepted, "case:reidentify", n=10, case_id=case_id)
    record_at(world, monday_late, accepted, "case:reidentify", n=1, case_id=case_id)
    record_at(world, monday_close, accepted, "case:read", n=1)
    record_at(world, tuesday, owner, "case:reidentify", n=3, case_id=case_id)
    record_at(world, tuesday + timedelta(minutes=1), owner, "case:reidentify", n=9,
               outcome="denied",
               rule="reidentify_care_relation", case_id=case_id)
    auditor = world.login("auditor1")  # logs in on Tuesday 10:00: office hours
    window = {"since": start.isoformat(), "until": (tuesday + timedelta(hours=1)).isoformat()}
    r = auditor.get(f"{ANOMALIES}?{urlencode(window)}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    # Eleven on the Saturday (flagged); on the Monday ten then one more: eleven, flagged;
    # on the Tuesday three allowed (the denied ones do not count).
    assert [(f["user_id"], f["day"], f["count"]) for f in body["reidentifications"]] == [
        (str(owner.id), saturday.astimezone(BRUSSELS).date().isoformat(), 11),
        (str(accepted.id), monday_open.astimezone(BRUSSELS).date().isoformat(), 11)]
    off = {f["user_id"]: f for f in body["off_hours"]}
    assert set(off) == {str(owner.id), str(accepted.id)}
    assert (off[str(owner.id)]["count"], off[str(owner.id)]["cases"]) == (11, 1)
    assert off[str(accepted.id)]["count"] == 3  # 06:59 twice and 19:00 once
    assert off[str(accepted.id)]["cases"] == 1
    # (each event is stamped when its transaction commits: a few milliseconds later)
    first = datetime.fromisoformat(off[str(accepted.id)]["first_at"])
    last = datetime.fromisoformat(off[str(accepted.id)]["last_at"])
    assert timedelta(0) <= first - monday_early < timedelta(seconds=30)
    assert timedelta(0) <= last - monday_close < timedelta(seconds=30)
    world.app.config["AUDIT_ANOMALY_REIDENTIFICATIONS"] = 2
    flagged = auditor.get(f"{ANOMALIES}?{urlencode(window)}").get_json()["reidentifications"]
    assert [(f["user_id"], f["count"]) for f in flagged][-1] == (str(owner.id), 3)


def test_office_hours_follow_brussels_time_and_daylight_saving():
    # Summer time: 07:00 in Brussels is 05:00 UTC; winter time: 06:00 UTC.
    assert anomalies.is_office_hours(datetime(2026, 7, 1, 5, 0, tzinfo=UTC))
    assert not anomalies.is_office_hours(datetime(2026, 7, 1, 4, 59, tzinfo=UTC))
    assert not anomalies.is_office_hours(datetime(2026, 1, 7, 5, 30, tzinfo=UTC))
    assert anomalies.is_office_hours(datetime(2026, 1, 7, 17, 59, tzinfo=UTC))
    assert not anomalies.is_office_hours(datetime(2026, 1, 7, 18, 0, tzinfo=UTC))
    assert not anomalies.is_office_hours(datetime(2026, 7, 4, 10, 0, tzinfo=UTC))  # Saturday
    # The week of the switch to summer time (Sunday 29 March 2026): the Sunday has 23 hours.
    since = datetime(2026, 3, 27, 23, 0, tzinfo=UTC)  # Saturday 00:00 local
    until = datetime(2026, 3, 30, 22, 0, tzinfo=UTC)  # Tuesday 00:00 local
    days = list(anomalies.local_days(since, until))
    assert [d for d, _s, _e in days] == [date(2026, 3, 28), date(2026, 3, 29),
                                         date(2026, 3, 30)]
    assert [e - s for _d, s, e in days] == [timedelta(hours=24), timedelta(hours=23),
                                            timedelta(hours=24)]
    assert anomalies.office_intervals(since, until) == [
        (datetime(2026, 3, 30, 5, 0, tzinfo=UTC), datetime(2026, 3, 30, 17, 0, tzinfo=UTC))]
    # Intervals are cut to the window.
    assert anomalies.office_intervals(datetime(2026, 3, 30, 10, 0, tzinfo=UTC), until) == [
        (datetime(2026, 3, 30, 10, 0, tzinfo=UTC), datetime(2026, 3, 30, 17, 0, tzinfo=UTC))]
    with pytest.raises(ValueError, match="must be an integer"):
        anomalies.Thresholds.from_config({"AUDIT_ANOMALY_DENIALS": "many"})


