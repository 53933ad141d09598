"""The auditor's workspace: break-glass reviews, anomaly flags, and the /audit pages."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from policies.actor import Actor
from referral.audit import anomalies
from referral.audit.models import BreakGlassReview
from referral.cases.models import BreakGlass
from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent
from tests.factories import PASSWORD, assert_problem, build

BREAK_GLASS = "/api/v1/audit/break-glass"
ANOMALIES = "/api/v1/audit/anomalies"
BRUSSELS = ZoneInfo("Europe/Brussels")
PAGES = ("/audit", "/audit/events", f"/audit/cases/{uuid.UUID(int=1)}",
         f"/audit/users/{uuid.UUID(int=2)}", "/audit/denials", "/audit/break-glass",
         "/audit/anomalies")


def _user(world: Any, username: str) -> Any:
    from referral.accounts.models import User

    with world.session() as s:
        return s.scalar(select(User).where(User.username == username))


def _actor(user: Any) -> Actor:
    return Actor(user_id=user.id, organisation_id=user.organisation_id)


def _events(world: Any, action: str) -> list[Any]:
    with world.session() as s:
        return list(s.execute(select(*AuditEvent.__table__.c)
                              .where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _break_glass(world: Any, case: Any, username: str = "member_rp",
                 reason: str = "imminent danger") -> str:
    r = world.login(username).post(f"/api/v1/cases/{case.id}/break-glass",
                                   json={"reason": reason})
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["id"])


def _record_at(world: Any, when: datetime, user: Any, action: str, n: int = 1,
               **fields: Any) -> None:
    """``n`` events by ``user`` at ``when`` (the clock only moves forward)."""
    delta = when - clock.now()
    assert delta >= timedelta(0), "the clock only moves forward"
    clock.advance(delta)
    with world.session() as s:
        for _ in range(n):
            chain.record(s, _actor(user), action, **fields)
        s.commit()


def _next_local(weekday: int, hour: int, minute: int = 0, *, after: datetime) -> datetime:
    """The first Brussels-local ``weekday`` at hour:minute later than ``after`` (UTC)."""
    local = after.astimezone(BRUSSELS)
    day = local.date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


# -- break-glass reviews through the API -------------------------------------------------------


def test_auditor_lists_and_reviews_break_glass_uses(world):
    case = build(world)
    grant_id = _break_glass(world, case)
    auditor = world.login("auditor1")
    body = auditor.get(f"{BREAK_GLASS}?reviewed=false").get_json()
    assert body["total"] == 1
    [item] = body["items"]
    assert set(item) == {"id", "case_id", "user_id", "organisation_id", "reason", "granted_at",
                         "expires_at", "reviewed_at", "reviewed_by_user_id", "review_comment",
                         "version"}
    member_rp = _user(world, "member_rp")
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
    auditor1 = _user(world, "auditor1")
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
    [event] = _events(world, "audit:break_glass_review")
    assert (event.outcome, event.object_id, event.case_id, event.actor_user_id) == (
        "allowed", grant_id, case.id, auditor1.id)
    assert "police call" not in (event.purpose or "")
    listings = _events(world, "audit:break_glass_list")
    assert len(listings) == 4  # reviewed=maybe never reached the view
    assert all(e.outcome == "allowed" and e.actor_user_id == auditor1.id for e in listings)


def test_review_honours_if_match(world):
    case = build(world)
    grant_id = _break_glass(world, case)
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
    denied = [e for e in _events(world, _action_of(method, path)) if e.outcome == "denied"]
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
    _break_glass(world, case)
    auditor = world.login("auditor1")
    r = auditor.get(ANOMALIES)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["unrelated_access_threshold"] == 10
    assert body["reidentification_threshold"] == 10
    assert body["timezone"] == "Europe/Brussels"
    elsewhere = _user(world, "elsewhere_rp")
    assert body["unrelated_access"] == [{
        "user_id": str(elsewhere.id), "organisation_id": str(elsewhere.organisation_id),
        "denials": 14, "break_glass": 0, "total": 14, "cases": 1}]
    assert body["reidentifications"] == []
    # The window: the last seven days by default; the query is audited.
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert until - since == timedelta(days=7)
    [event] = _events(world, "audit:anomalies")
    assert event.outcome == "allowed"
    # One more break-glass use makes member_rp's ten acts eleven.
    world.app.config["AUDIT_ANOMALY_DENIALS"] = "9"
    flagged = {f["user_id"]: f for f in auditor.get(ANOMALIES).get_json()["unrelated_access"]}
    assert flagged[str(_user(world, "member_rp").id)]["break_glass"] == 1
    assert flagged[str(_user(world, "member_rp").id)]["total"] == 10
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
    owner, accepted = _user(world, "owner_rp"), _user(world, "accepted_rp")
    start = clock.now()
    # A Saturday, 03:00 in Brussels: weekend and night.
    saturday = _next_local(5, 3, after=start)
    monday_early = _next_local(0, 6, 59, after=saturday)
    monday_open = monday_early + timedelta(minutes=1)          # 07:00: office hours
    monday_late = _next_local(0, 18, 59, after=saturday)        # 18:59: office hours
    monday_close = monday_late + timedelta(minutes=1)          # 19:00: outside
    tuesday = _next_local(1, 10, after=monday_close)            # 10:00: office hours
    case_id = uuid.uuid4()
    _record_at(world, saturday, owner, "case:reidentify", n=11, case_id=case_id,
               object_type="case", object_id=case_id)
    _record_at(world, monday_early, accepted, "case:read", n=2, case_id=case_id)
    _record_at(world, monday_open, accepted, "case:reidentify", n=10, case_id=case_id)
    _record_at(world, monday_late, accepted, "case:reidentify", n=1, case_id=case_id)
    _record_at(world, monday_close, accepted, "case:read", n=1)
    _record_at(world, tuesday, owner, "case:reidentify", n=3, case_id=case_id)
    _record_at(world, tuesday + timedelta(minutes=1), owner, "case:reidentify", n=9,
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


# -- pages -------------------------------------------------------------------------------------


def _browser(world: Any, username: str) -> tuple[Any, str]:
    client = world.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = _token(page)
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 302
    return client, token


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _clean(html: str) -> None:
    """No inline script or style (CSP), never an identity."""
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert "Peeters" not in html


def test_auditor_pages_render(world):
    case = build(world)
    grant_id = _break_glass(world, case, reason="child at risk tonight")
    stranger = world.login("elsewhere_rp")
    assert_problem(stranger.get(f"/api/v1/cases/{case.id}"), 404)
    owner = world.login("owner_rp")
    assert owner.get(f"/api/v1/cases/{case.id}").status_code == 200
    auditor_api = world.login("auditor1")
    assert auditor_api.post("/api/v1/audit/checkpoints").status_code == 201
    client, _ = _browser(world, "auditor1")

    r = client.get("/audit")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    _clean(html)
    assert "The chain is intact" in html
    assert "Last checkpoint" in html
    [cp] = auditor_api.get("/api/v1/audit/checkpoints").get_json()
    assert f"seq {cp['seq']}" in html
    assert cp["public_key_id"] in html
    assert "1 break-glass use(s) awaiting review" in html
    r = client.get(f"/audit?from_seq={cp['seq']}")
    assert f"verified from seq {cp['seq']}" in r.get_data(as_text=True)

    r = client.get("/audit/events?action=case:read&outcome=allowed&since=&until=")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    _clean(html)
    assert "case:read" in html
    assert "/api/v1/audit/events.csv?" in html
    assert re.search(r"events.csv\?[^\"]*action=case(:|%3A)read", html)
    r = client.get("/audit/events?case_id=42&since=yesterday")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Check these fields" in html
    assert "case_id" in html
    assert "since" in html

    html = client.get(f"/audit/cases/{case.id}").get_data(as_text=True)
    _clean(html)
    assert f"Case {case.id}" in html
    assert "case:break_glass" in html
    assert "case:read" in html
    owner_id = _user(world, "owner_rp").id
    html = client.get(f"/audit/users/{owner_id}").get_data(as_text=True)
    _clean(html)
    assert f"User {owner_id}" in html
    assert "auth:login" in html
    html = client.get("/audit/denials").get_data(as_text=True)
    _clean(html)
    assert "no_relation" in html
    assert ">allowed<" not in html

    html = client.get("/audit/anomalies").get_data(as_text=True)
    _clean(html)
    assert "Anomaly flags" in html
    assert "Outside office hours" in html
    r = client.get("/audit/anomalies?since=2020-01-01T00:00:00Z")
    assert r.status_code == 422
    assert "at most 366 days" in r.get_data(as_text=True)

    html = client.get("/audit/break-glass").get_data(as_text=True)
    _clean(html)
    assert "child at risk tonight" in html
    assert f"/audit/break-glass/{grant_id}/review" in html
    # An empty comment is refused on the page; a comment marks it reviewed.
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": _token(html), "comment": "  ", "version": "1"})
    assert r.status_code == 302
    assert "Give a comment" in client.get("/audit/break-glass").get_data(as_text=True)
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"comment": "no token"})
    assert r.status_code == 403
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": _token(html), "comment": "Checked with the chair.",
                          "version": "1"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Marked reviewed." in html
    assert "Nothing awaits review." in html
    html = client.get("/audit/break-glass?reviewed=true").get_data(as_text=True)
    assert "Checked with the chair." in html
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": _token(html), "comment": "twice", "version": "2"})
    assert "reviewed or changed in the meantime" in client.get(
        r.headers["Location"]).get_data(as_text=True)
    [event] = _events(world, "audit:break_glass_review")
    assert event.outcome == "allowed"
    # Every page view is on the trail.
    purposes = [e.purpose for e in _events(world, "audit:search")]
    assert "page case timeline; filters: case_id" in purposes
    assert "page user timeline; filters: actor_id" in purposes
    assert "page denials; filters: outcome" in purposes
    assert any(p.startswith("page: verify from seq 1; ok") for p in
               (e.purpose for e in _events(world, "audit:verify")))


def test_status_page_names_the_first_bad_seq(world):
    build(world)
    world.login("owner_rp")
    world.login("owner_cw")
    with world.session() as s:
        seq = s.scalar(select(AuditEvent.seq).where(AuditEvent.action == "auth:login")
                       .order_by(AuditEvent.seq).limit(1))
    # As the database owner, the append-only triggers switched off (as in test_audit_chain).
    with world.app.extensions["referral.db"].engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET purpose = 'rewritten' WHERE seq = :seq"),
                     {"seq": seq})
    client, _ = _browser(world, "auditor1")
    html = client.get("/audit").get_data(as_text=True)
    assert "The chain is broken" in html
    assert f"First bad seq: <strong>{seq}</strong>" in html
    assert "hash mismatch" in html


@pytest.mark.parametrize("username", ["owner_rp", "admin1", "police_io"])
def test_pages_refuse_everyone_but_auditors(world, username):
    case = build(world)
    grant_id = _break_glass(world, case)
    client, _ = _browser(world, username)
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 403, path
        assert r.mimetype == "text/html"
        html = r.get_data(as_text=True)
        assert "Only auditors" in html
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": _token(html), "comment": "not mine to review"})
    assert r.status_code == 403
    assert "Only auditors" in r.get_data(as_text=True)
    user_id = _user(world, username).id
    with world.session() as s:
        assert s.get(BreakGlass, uuid.UUID(grant_id)).reviewed_at is None
        denied = s.scalars(select(AuditEvent.rule).where(
            AuditEvent.actor_user_id == user_id,
            AuditEvent.outcome == "denied")).all()
    assert denied == ["auditor_only"] * (len(PAGES) + 1)


def test_pages_send_anonymous_visitors_to_login(world):
    build(world)
    anonymous = world.app.test_client()
    for path in PAGES:
        r = anonymous.get(path)
        assert r.status_code == 302, path
        assert r.headers["Location"].endswith("/login")


def test_event_pages_go_on_past_a_capped_count(world):
    build(world)
    user = _user(world, "owner_rp")
    _record_at(world, clock.now() + timedelta(seconds=1), user, "case:read", n=120)
    world.app.config["LIST_COUNT_LIMIT"] = 60
    client, _ = _browser(world, "auditor1")
    first = client.get("/audit/events").get_data(as_text=True)
    assert "More than 60 events" in first
    assert 'rel="next"' in first
    # Page 2 reaches the capped count (60 = 2 x 50 rounded up), yet more events exist:
    # the pager still offers the next page and claims no last page.
    second = client.get("/audit/events?page=2").get_data(as_text=True)
    assert 'rel="next"' in second
    assert "Page 2 of" not in second
    third = client.get("/audit/events?page=3").get_data(as_text=True)
    assert "case:read" in third
    world.app.config["LIST_COUNT_LIMIT"] = 10_000
    exact = client.get("/audit/events?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in exact
    assert 'rel="next"' not in exact
