"""API conventions: problem+json for every error, strict input, limits, health."""

from __future__ import annotations

import uuid

from tests.factories import assert_problem, build, make_case


def test_malformed_json_is_400(admin):
    r = admin.post("/api/v1/organisations", data="{not json",
                   headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


def test_non_json_body_is_415(admin):
    r = admin.post("/api/v1/organisations", data="name=x", content_type="text/plain")
    assert_problem(r, 415)


def test_unknown_field_is_422_naming_it(admin):
    r = admin.post("/api/v1/organisations", json={"name": "A", "kind": "caw", "owner": "me"})
    assert assert_problem(r, 422)["errors"] == {"owner": ["Unknown field."]}


def test_bad_enum_is_422(admin):
    r = admin.post("/api/v1/organisations", json={"name": "A", "kind": "secret_service"})
    assert "kind" in assert_problem(r, 422)["errors"]


def test_json_array_body_is_422(admin):
    assert_problem(admin.post("/api/v1/organisations", json=[1, 2]), 422)


def test_oversized_body_is_413(admin):
    big = {"name": "A" * (1024 * 1024 + 10), "kind": "caw"}
    assert_problem(admin.post("/api/v1/organisations", json=big), 413)


def test_unknown_object_is_404_problem(admin):
    assert_problem(admin.get(f"/api/v1/organisations/{uuid.uuid4()}"), 404)
    assert_problem(admin.get("/api/v1/no-such-thing"), 404)


def test_wrong_method_is_405_problem(admin):
    r = admin.client.put("/api/v1/organisations")
    assert_problem(r, 405)


def test_pagination_shape_and_limit(world, admin):
    for i in range(3):
        world.org(f"Org {i}")
    body = admin.get("/api/v1/organisations?per_page=2&page=2").get_json()
    assert body["page"] == 2
    assert body["per_page"] == 2
    assert body["total"] == 4
    assert len(body["items"]) == 2
    assert "per_page" in assert_problem(admin.get("/api/v1/organisations?per_page=201"),
                                        422)["errors"]


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ready"


def test_security_headers_on_api_and_html(client):
    for url in ("/api/v1/me", "/login"):
        h = client.get(url).headers
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"]
        assert h["Cache-Control"] == "no-store"
        assert "Server" not in h or "Werkzeug" not in h["Server"]


def test_error_pages_do_not_leak_internals(world, admin):
    r = admin.get("/api/v1/users/not-a-uuid")
    body = assert_problem(r, 404)
    assert "Traceback" not in r.get_data(as_text=True)
    assert "sqlalchemy" not in body["detail"].lower()


def test_proxy_hops_take_the_client_address_from_the_proxy(world, app, dbs):
    from sqlalchemy import select

    from referral import create_app
    from referral.core.ledger.models import AuditEvent
    from tests.conftest import TEST_SECRETS

    proxied = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "PROXY_HOPS": 1,
                          **TEST_SECRETS})
    world.user("cato", "CAW Gent", ["reference_person"])
    r = proxied.test_client().post("/api/v1/auth/login",
                                   json={"username": "cato", "password": "wrong password!"},
                                   headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.status_code == 401
    addresses = dbs.scalars(select(AuditEvent.client_address)).all()
    dbs.rollback()
    assert "203.0.113.7" in addresses
    proxied.extensions["referral.db"].dispose()


def test_malformed_json_never_500(world):
    build(world)
    owner = world.login("owner_rp")
    for raw in ('{"username": "\\ud800", "password": "x"}', "[" * 5000 + "]" * 5000):
        r = world.app.test_client().post("/api/v1/auth/login", data=raw,
                                         content_type="application/json")
        assert r.status_code == 400, r.get_data(as_text=True)
    case = make_case(world)
    r = owner.post(f"/api/v1/cases/{case.id}/notes",
                   data='{"body": "\\udfff", "compartment": "internal"}',
                   content_type="application/json")
    assert_problem(r, 400)


def test_if_match_and_body_version_must_agree(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.patch(f"/api/v1/cases/{case.id}", json={"phase": "action", "version": 1},
                    headers={"If-Match": '"v2"'})
    assert_problem(r, 409)


def test_no_content_type_on_204(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    r = api.post("/api/v1/auth/logout")
    assert r.status_code == 204
    assert "Content-Type" not in r.headers
