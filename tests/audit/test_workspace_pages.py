"""The auditor's workspace pages (/audit...): rendering, refusals, paging."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from referral.cases.models import BreakGlass
from referral.core import clock
from referral.core.ledger.models import AuditEvent
from tests.audit.workspace_support import break_glass, events, record_at, user_row
from tests.factories import PASSWORD, assert_problem, build

BREAK_GLASS = "/api/v1/audit/break-glass"
ANOMALIES = "/api/v1/audit/anomalies"
BRUSSELS = ZoneInfo("Europe/Brussels")
PAGES = ("/audit", "/audit/events", f"/audit/cases/{uuid.UUID(int=1)}",
         f"/audit/users/{uuid.UUID(int=2)}", "/audit/denials", "/audit/break-glass",
         "/audit/anomalies")



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
    grant_id = break_glass(world, case, reason="child at risk tonight")
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
    owner_id = user_row(world, "owner_rp").id
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
    [event] = events(world, "audit:break_glass_review")
    assert event.outcome == "allowed"
    # Every page view is on the trail.
    purposes = [e.purpose for e in events(world, "audit:search")]
    assert "page case timeline; filters: case_id" in purposes
    assert "page user timeline; filters: actor_id" in purposes
    assert "page denials; filters: outcome" in purposes
    assert any(p.startswith("page: verify from seq 1; ok") for p in
               (e.purpose for e in events(world, "audit:verify")))


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
    grant_id = break_glass(world, case)
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
    user_id = user_row(world, username).id
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
    user = user_row(world, "owner_rp")
    record_at(world, clock.now() + timedelta(seconds=1), user, "case:read", n=120)
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
