"""The auditor's API: search, CSV export, verification and checkpoints."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, text, update

from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent
from tests.factories import assert_problem

EVENTS = "/api/v1/audit/events"


@pytest.fixture
def auditor(world: Any) -> Any:
    world.org("Audit Office", "other")
    world.user("audrey", "Audit Office", ["auditor"])
    return world.login("audrey")


def _db(app: Any) -> Any:
    return app.extensions["referral.db"]


def _record(app: Any, action: str, **fields: Any) -> None:
    with _db(app).sessionmaker() as s:
        chain.record(s, None, action, **fields)
        s.commit()


def _audit_rows(app: Any, action: str) -> list[Any]:
    with _db(app).sessionmaker() as s:
        rows = list(s.execute(select(*AuditEvent.__table__.c)
                              .where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        s.rollback()
    return rows


def _get(api: Any, url: str, **params: Any) -> Any:
    return api.get(f"{url}?{urlencode(params)}" if params else url)


# -- search -------------------------------------------------------------------------------------


def test_auditor_searches_newest_first_with_pagination(world, app, auditor):
    world.user("cato", "CAW Gent", ["reference_person"])
    for _ in range(3):
        world.login("cato")
    body = _get(auditor, EVENTS, per_page=3).get_json()
    assert body["page"] == 1
    assert body["per_page"] == 3
    assert body["total"] == 4  # logins: audrey's, then cato's three
    assert [item["seq"] for item in body["items"]] == [4, 3, 2]
    page2 = _get(auditor, EVENTS, per_page=3, page=2).get_json()
    assert page2["total"] == 5  # the first search is an event too (seq 5)
    assert [item["seq"] for item in page2["items"]] == [2, 1]
    assert _get(auditor, EVENTS, per_page=3, page=9).get_json()["items"] == []
    item = body["items"][0]
    assert set(item) == {"seq", "at", "actor_id", "actor_organisation_id", "action",
                         "object_type", "object_id", "case_id", "purpose", "outcome", "rule",
                         "request_id", "client_address", "hash", "prev_hash"}
    assert len(item["hash"]) == 64
    int(item["hash"], 16)
    assert item["prev_hash"] == body["items"][1]["hash"]


def test_search_filters(world, app, auditor):
    cato = world.user("cato", "CAW Gent", ["reference_person"])
    world.login("cato")
    app.test_client().post("/api/v1/auth/login",
                           json={"username": "cato", "password": "wrong-password!"})
    case_id = uuid.uuid4()
    clock.advance(timedelta(minutes=10))  # well inside the session's idle timeout
    middle = clock.now()
    _record(app, "case:read", case_id=case_id, object_type="case", object_id=case_id)
    clock.advance(timedelta(minutes=10))
    _record(app, "case:read", case_id=uuid.uuid4())

    def search(**params: Any) -> list[dict[str, Any]]:
        r = _get(auditor, EVENTS, **params)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    assert {i["action"] for i in search(actor_id=str(cato.id))} == {"auth:login"}
    assert [i["outcome"] for i in search(actor_id=str(cato.id))] == ["denied", "allowed"]
    denied = search(outcome="denied")
    assert [(i["action"], i["rule"]) for i in denied] == [("auth:login", "bad_credentials")]
    assert [i["case_id"] for i in search(case_id=str(case_id))] == [str(case_id)]
    assert len(search(action="case:read")) == 2
    org_id = str(cato.organisation_id)
    assert {i["actor_organisation_id"] for i in search(organisation_id=org_id)} == {org_id}
    since = (middle - timedelta(minutes=1)).isoformat()
    until = (middle + timedelta(minutes=5)).isoformat()
    assert [i["case_id"] for i in search(since=since, until=until)] == [str(case_id)]
    after = search(since=since)  # the two reads, and the searches made since
    assert [i["action"] for i in after if i["action"] != "audit:search"] == ["case:read"] * 2
    assert search(action="case:read", until=since) == []
    naive = (middle - timedelta(minutes=1)).replace(tzinfo=None).isoformat()  # taken as UTC
    assert len(search(since=naive, action="case:read")) == 2


@pytest.mark.parametrize("params", [
    {"since": "yesterday"}, {"until": "2026-13-01"}, {"outcome": "maybe"},
    {"actor_id": "not-a-uuid"}, {"case_id": "42"}, {"per_page": 201}, {"page": 0},
    {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
])
def test_bad_filters_are_422(auditor, params):
    body = assert_problem(_get(auditor, EVENTS, **params), 422)
    assert set(body["errors"]) <= set(params)


def test_every_search_is_audited_with_filter_names_only(app, auditor):
    actor = str(uuid.uuid4())
    _get(auditor, EVENTS, actor_id=actor, action="auth:login", page=1)
    _get(auditor, f"{EVENTS}.csv", outcome="denied")
    searches = _audit_rows(app, "audit:search")
    assert [s.purpose for s in searches] == ["search; filters: actor_id, action",
                                             "csv export; filters: outcome"]
    assert all(actor not in (s.purpose or "") for s in searches)
    assert all(s.outcome == "allowed" and s.actor_user_id for s in searches)


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_export_escapes_formulas(app, auditor):
    payloads = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)",
                "\tTAB", "\rCR", "plain, with comma", "a\nnewline"]
    for p in payloads:
        _record(app, "test:formula", purpose=p, object_id="=1+2")
    r = _get(auditor, f"{EVENTS}.csv", action="test:formula")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="audit-events-')
    assert r.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert r.headers["X-Row-Count"] == str(len(rows)) == str(len(payloads))
    by_purpose = [row["purpose"] for row in reversed(rows)]  # newest first
    assert by_purpose == ["'" + p if p[0] in "=+-@\t\r" else p for p in payloads]
    assert {row["object_id"] for row in rows} == {"'=1+2"}
    assert all(len(row["hash"]) == 64 for row in rows)


def test_csv_export_is_capped(app, auditor, monkeypatch):
    from referral.audit import search

    for i in range(4):
        _record(app, "test:many", object_id=i)
    monkeypatch.setattr(search, "CSV_MAX_ROWS", 3)
    monkeypatch.setattr(search.export_csv, "__defaults__", (3,))
    r = _get(auditor, f"{EVENTS}.csv", action="test:many")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [row["object_id"] for row in rows] == ["3", "2", "1"]
    assert r.headers["X-Truncated"] == "true"


def test_csv_cell_escaping():
    from referral.audit.search import csv_cell

    assert csv_cell(None) == ""
    assert csv_cell("=1") == "'=1"
    assert csv_cell("safe=1") == "safe=1"
    assert csv_cell(12) == "12"
    assert csv_cell(-3) == "'-3"


# -- who may ------------------------------------------------------------------------------------

AUDITOR_ONLY = [("GET", EVENTS), ("GET", f"{EVENTS}.csv"), ("GET", "/api/v1/audit/verify"),
                ("GET", "/api/v1/audit/checkpoints")]


@pytest.mark.parametrize(("method", "url"), AUDITOR_ONLY)
def test_non_auditors_are_denied_and_the_denial_is_audited(world, app, admin, method, url):
    world.user("cato", "CAW Gent", ["reference_person"])
    cato = world.login("cato")
    for api in (cato, admin):
        assert_problem(api.client.open(url, method=method), 403, rule="auditor_only")
    denied = [e for e in _audit_rows(app, "audit:search") + _audit_rows(app, "audit:verify")
              if e.outcome == "denied"]
    assert [e.rule for e in denied] == ["auditor_only", "auditor_only"]


def test_creating_checkpoints_is_for_auditors_and_admins(world, app, admin, auditor):
    world.user("cato", "CAW Gent", ["reference_person"])
    cato = world.login("cato")
    assert_problem(cato.post("/api/v1/audit/checkpoints"), 403, rule="auditor_only")
    # The catalogue lets administrators sign checkpoints too (audit:checkpoint).
    assert admin.post("/api/v1/audit/checkpoints").status_code == 201


@pytest.mark.parametrize(("method", "url"), [*AUDITOR_ONLY, ("POST", "/api/v1/audit/checkpoints")])
def test_anonymous_is_401(client, method, url):
    assert_problem(client.open(url, method=method), 401)


# -- verification -------------------------------------------------------------------------------


def test_verify_ok_then_failing_after_tampering(world, app, auditor):
    world.user("cato", "CAW Gent", ["reference_person"])
    world.login("cato")
    body = auditor.get("/api/v1/audit/verify").get_json()
    assert body == {"ok": True, "checked": 2, "first_bad_seq": None, "reason": None}
    with _db(app).engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 2)
                     .values(purpose="covering tracks"))
    body = auditor.get("/api/v1/audit/verify").get_json()
    assert body == {"ok": False, "checked": 1, "first_bad_seq": 2, "reason": "hash mismatch"}
    verifies = _audit_rows(app, "audit:verify")
    assert [v.purpose for v in verifies] == [
        "verify from seq 1; ok", "verify from seq 1; failed at seq 2: hash mismatch"]
    partial = auditor.get("/api/v1/audit/verify?from_seq=3").get_json()
    assert partial["ok"] is True
    assert "from_seq" in assert_problem(auditor.get("/api/v1/audit/verify?from_seq=999"),
                                        422)["errors"]
    assert_problem(auditor.get("/api/v1/audit/verify?from_seq=0"), 422)


# -- checkpoints --------------------------------------------------------------------------------


def test_checkpoints_create_and_list(app, auditor):
    assert auditor.get("/api/v1/audit/checkpoints").get_json() == []
    r = auditor.post("/api/v1/audit/checkpoints")
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["seq"] == 1  # the auditor's login
    assert first["algorithm"] == "Ed25519"
    pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(first["public_key"]))
    pub.verify(base64.b64decode(first["signature"]), first["message"].encode())
    second = auditor.post("/api/v1/audit/checkpoints").get_json()
    assert second["seq"] == 2  # the first checkpoint's own audit event
    listed = auditor.get("/api/v1/audit/checkpoints").get_json()
    assert [c["seq"] for c in listed] == [2, 1]
    assert set(listed[0]) == {"seq", "hash", "signature", "public_key_id", "at"}
    assert {k: first[k] for k in listed[1]} == listed[1]
    events = _audit_rows(app, "audit:checkpoint")
    assert [e.purpose for e in events] == ["signed checkpoint of seq 1",
                                           "signed checkpoint of seq 2"]
    assert auditor.get("/api/v1/audit/verify").get_json()["ok"] is True


def test_checkpoint_post_takes_no_body(auditor):
    assert_problem(auditor.post("/api/v1/audit/checkpoints", json={"seq": 1}), 422)
