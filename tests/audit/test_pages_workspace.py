"""The auditor's workspace pages (/audit...): chain status and checkpoints, denials,
break-glass reviews, anomalies, refusals and paging.  (The search: test_pages_search.py.)"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select, text

from referral.cases.models import BreakGlass
from referral.core import clock
from referral.core.ledger.models import AuditEvent
from referral.web.labels import label
from tests.audit.pages_support import browser, clean, text_of, token
from tests.audit.workspace_support import break_glass, events, record_at, user_row
from tests.factories import assert_problem, build

PAGES = ("/audit", "/audit/events", "/audit/events.csv", f"/audit/cases/{uuid.UUID(int=1)}",
         f"/audit/users/{uuid.UUID(int=2)}", "/audit/denials", "/audit/break-glass",
         "/audit/anomalies")


def test_status_page_shows_the_chain_and_both_checkpoints(world):
    build(world)
    auditor_api = world.login("auditor1")
    assert auditor_api.post("/api/v1/audit/checkpoints").status_code == 201
    client = browser(world, "auditor1")
    html = client.get("/audit").get_data(as_text=True)
    clean(html)
    assert "De keten is intact" in html
    [cp] = auditor_api.get("/api/v1/audit/checkpoints").get_json()
    db_part, published_part = html.split("Laatste gepubliceerde controlepunt")
    assert f"nummer {cp['seq']}" in db_part.split("Laatste controlepunt in de databank")[1]
    assert cp["public_key_id"] in db_part
    assert f"nummer {cp['seq']}" in published_part  # the same one, published as a file
    assert cp["hash"] in published_part
    r = client.get(f"/audit?from_seq={cp['seq']}")
    assert f"vanaf nummer {cp['seq']}" in text_of(r.get_data(as_text=True)) or \
        f"van nummer {cp['seq']}" in text_of(r.get_data(as_text=True))
    # Signing one from the page: a new checkpoint at the head, on the trail.
    r = client.post("/audit/checkpoints", data={"csrf_token": token(html)})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Controlepunt ondertekend bij gebeurtenis nummer" in html
    assert len(auditor_api.get("/api/v1/audit/checkpoints").get_json()) == 2
    assert [e.outcome for e in events(world, "audit:checkpoint")] == ["allowed", "allowed"]


def test_status_page_names_the_first_bad_event_in_words(world):
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
    html = browser(world, "auditor1").get("/audit").get_data(as_text=True)
    assert f"De keten is gebroken bij gebeurtenis nummer {seq}" in html
    assert "de hash van een gebeurtenis klopt niet met de inhoud" in html
    assert "hash mismatch" in html  # the verifier's own words, for a support call


def test_denials_page_lists_refusals_with_the_rule(world):
    case = build(world)
    assert_problem(world.login("elsewhere_rp").get(f"/api/v1/cases/{case.id}"), 404)
    html = browser(world, "auditor1").get("/audit/denials").get_data(as_text=True)
    clean(html)
    assert "no_relation" in html
    assert "Elsewhere_Rp" in html
    assert case.reference in html
    assert 'class="allowed"' not in html
    assert "page denials; filters: outcome" in [e.purpose for e in events(world, "audit:search")]


def test_break_glass_review_from_the_page(world):
    case = build(world)
    grant_id = break_glass(world, case, reason="child at risk tonight")
    client = browser(world, "auditor1")
    assert "Noodtoegangen die nog nagekeken moeten worden: 1" in client.get(
        "/audit").get_data(as_text=True)
    html = client.get("/audit/break-glass").get_data(as_text=True)
    clean(html)
    assert "child at risk tonight" in html
    assert "Member_Rp" in html
    assert "CGG Gent" in html
    assert case.reference in html
    assert f"/audit/break-glass/{grant_id}/review" in html
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": token(html), "comment": "  ", "version": "1"})
    assert r.status_code == 302
    assert "Geef een opmerking" in client.get("/audit/break-glass").get_data(as_text=True)
    r = client.post(f"/audit/break-glass/{grant_id}/review", data={"comment": "no token"})
    assert r.status_code == 403
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": token(html), "comment": "Checked with the chair.",
                          "version": "1"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Als nagekeken gemarkeerd." in html
    assert "Niets wacht op nakijken." in html
    html = client.get("/audit/break-glass?reviewed=true").get_data(as_text=True)
    assert "Checked with the chair." in html
    assert "Auditor1" in html
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": token(html), "comment": "twice", "version": "2"})
    assert "intussen nagekeken of gewijzigd" in client.get(
        r.headers["Location"]).get_data(as_text=True)
    [event] = events(world, "audit:break_glass_review")
    assert event.outcome == "allowed"


def test_anomalies_page_takes_brussels_days(world):
    build(world)
    client = browser(world, "auditor1")
    html = client.get("/audit/anomalies").get_data(as_text=True)
    clean(html)
    assert "Signalen van afwijkingen" in html
    assert "Buiten de kantooruren" in html
    today = clock.now().date()
    r = client.get(f"/audit/anomalies?since={today}&until={today}")
    assert r.status_code == 200
    r = client.get("/audit/anomalies?since=2020-01-01")
    assert r.status_code == 422
    assert "hoogstens 366 dagen" in r.get_data(as_text=True)
    r = client.get("/audit/anomalies?since=morgen")
    assert r.status_code == 422
    assert "Geef een datum" in r.get_data(as_text=True)


@pytest.mark.parametrize("username", ["owner_rp", "admin1", "police_io"])
def test_pages_refuse_everyone_but_auditors_naming_the_rule(world, username):
    case = build(world)
    grant_id = break_glass(world, case, reason="the secret reason")
    client = browser(world, username)
    with world.app.test_request_context():
        in_words = label("auditor_only", "rule")  # Dutch, the default
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 403, path
        assert r.mimetype == "text/html"
        html = r.get_data(as_text=True)
        assert "Niet toegestaan" in html
        assert '<small class="id">auditor_only</small>' in html
        assert str(escape(in_words)) in html
        assert "the secret reason" not in html
        assert case.reference not in html
    r = client.post(f"/audit/break-glass/{grant_id}/review",
                    data={"csrf_token": token(html), "comment": "not mine to review"})
    assert r.status_code == 403
    r = client.post("/audit/checkpoints", data={"csrf_token": token(html)})
    assert r.status_code == 403 if username != "admin1" else r.status_code == 302
    user_id = user_row(world, username).id
    with world.session() as s:
        assert s.get(BreakGlass, uuid.UUID(grant_id)).reviewed_at is None
        denied = s.scalars(select(AuditEvent.rule).where(
            AuditEvent.actor_user_id == user_id,
            AuditEvent.outcome == "denied")).all()
    expected = len(PAGES) + 1 + (0 if username == "admin1" else 1)
    assert denied == ["auditor_only"] * expected


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
    client: Any = browser(world, "auditor1")
    first = client.get("/audit/events").get_data(as_text=True)
    assert "Meer dan 60 gebeurtenissen" in first
    assert 'rel="next"' in first
    # Page 2 reaches the capped count (60 = 2 x 50 rounded up), yet more events exist:
    # the pager still offers the next page and claims no last page.
    second = client.get("/audit/events?page=2").get_data(as_text=True)
    assert 'rel="next"' in second
    assert "of 3" not in second
    assert "van 3" not in second
    third = client.get("/audit/events?page=3").get_data(as_text=True)
    assert "case:read" in third
    world.app.config["LIST_COUNT_LIMIT"] = 10_000
    exact = client.get("/audit/events?page=3").get_data(as_text=True)
    assert 'rel="next"' not in exact
