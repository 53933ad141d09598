"""Throttling per client address and per user (Flask-Limiter), in memory and in Redis:
429 problems with Retry-After, never permanent, audited."""

from __future__ import annotations

import os
import random
import time
import uuid
from typing import Any

import pytest
import redis
from flask import Blueprint
from sqlalchemy import select

from referral import create_app
from referral.core.ledger.models import AuditEvent
from referral.web import ratelimit
from referral.web.api import route
from tests.conftest import IN_CI, TEST_SECRETS
from tests.factories import PASSWORD, assert_problem

REDIS_URL = os.environ.get("REFERRAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _login(client, password=PASSWORD, address="127.0.0.1"):
    return client.post("/api/v1/auth/login", json={"username": "cato", "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_defaults(database_url):
    app = create_app({"DATABASE_URL": database_url, **TEST_SECRETS})
    try:
        assert app.config["RATE_LIMIT_STORAGE"] == "memory://"
        assert app.config["RATE_LIMIT_LOGIN"] == "10 per minute;100 per hour"
        assert app.config["RATE_LIMIT_TOKENS"] == "10 per hour"
        assert app.config["REIDENTIFY_PER_HOUR"] == 30
        assert app.config["SESSION_MAX_CONCURRENT"] == 10
    finally:
        app.extensions["referral.db"].dispose()


def test_login_is_limited_per_client_address(world, app, client, dbs):
    app.config["RATE_LIMIT_LOGIN"] = "3 per minute"
    world.user("cato", "CAW Gent", ["reference_person"])
    for _ in range(3):
        assert _login(client, "w" * 12).status_code == 401
    r = _login(client)  # even the right password: the address is throttled
    body = assert_problem(r, 429)
    assert "3 per 1 minute" in body["detail"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert _login(client, address="10.1.2.3").status_code == 200  # another address is not
    # The HTML form shares the limit and says so in HTML, with Retry-After.
    browser = world.app.test_client()
    form = browser.get("/login").get_data(as_text=True)
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    page = browser.post("/login", data={"username": "cato", "password": PASSWORD,
                                        "csrf_token": token})
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert int(page.headers["Retry-After"]) >= 1
    # Audited once per minute and limit, however often it is hit.
    events = dbs.scalars(select(AuditEvent).where(AuditEvent.action == "ratelimit:exceeded")
                         ).all()
    dbs.commit()
    assert len(events) == 1
    assert events[0].outcome == "denied"
    assert events[0].object_id == "api_accounts.login"


def test_the_address_limit_ends_by_itself(world, app, client):
    app.config["RATE_LIMIT_LOGIN"] = "2 per 1 second"
    world.user("cato", "CAW Gent", ["reference_person"])
    assert _login(client).status_code == 200
    assert _login(client).status_code == 200
    r = _login(client)
    assert_problem(r, 429)
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    assert _login(client).status_code == 200


def test_token_creation_is_limited_per_user(world, app):
    app.config["RATE_LIMIT_TOKENS"] = "2 per hour"
    world.user("cato", "CAW Gent", ["reference_person"])
    world.user("otto", "CAW Gent", ["reference_person"])
    cato = world.login("cato")
    for name in ("a", "b"):
        assert cato.post("/api/v1/tokens", json={"name": name}).status_code == 201
    r = cato.post("/api/v1/tokens", json={"name": "c"})
    assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) > 60
    assert world.login("otto").post("/api/v1/tokens", json={"name": "a"}).status_code == 201


def _fake_reidentify_route(app: Any) -> None:
    """What the cases engineer does on the real route: the limit goes *below* @route."""
    bp = Blueprint(f"fake_{uuid.uuid4().hex[:8]}", __name__)

    @route(bp, "/api/v1/fake/<uuid:case_id>/reidentify", "POST", action="self:read",
           summary="test only", statuses=(429,))
    @ratelimit.reidentify_limit
    def fake_reidentify(case_id: uuid.UUID) -> Any:
        return {"case_id": str(case_id)}

    app.register_blueprint(bp)


def test_reidentify_limit_is_per_user_per_hour(world, app):
    app.config["REIDENTIFY_PER_HOUR"] = 2
    _fake_reidentify_route(app)
    world.user("cato", "CAW Gent", ["reference_person"])
    world.user("otto", "CAW Gent", ["reference_person"])
    cato = world.login("cato")
    for _ in range(2):  # any case: the budget is the user's
        assert cato.post(f"/api/v1/fake/{uuid.uuid4()}/reidentify").status_code == 200
    r = cato.post(f"/api/v1/fake/{uuid.uuid4()}/reidentify")
    assert "2 per 1 hour" in assert_problem(r, 429)["detail"]
    assert world.login("otto").post(f"/api/v1/fake/{uuid.uuid4()}/reidentify").status_code == 200


def test_a_limit_above_route_is_refused_loudly():
    bp = Blueprint("misplaced", __name__)

    def view() -> Any:
        return {}

    routed = route(bp, "/x", "POST", action="self:read", summary="x")(view)
    with pytest.raises(TypeError, match="below @route"):
        ratelimit.reidentify_limit(routed)


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required in CI but does not answer at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis tests skipped: no server answers at {REDIS_URL}")


def test_redis_storage_is_shared_between_instances(world, database_url):
    _redis_or_skip()
    world.user("cato", "CAW Gent", ["reference_person"])
    # A random client address keeps this run's keys apart from any other run's.
    address = f"127.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(2, 254)}"
    config = {"DATABASE_URL": database_url, "TESTING": True, **TEST_SECRETS,
              "RATE_LIMIT_STORAGE": REDIS_URL, "RATE_LIMIT_LOGIN": "3 per minute"}
    first = create_app(config)
    second = create_app(config)  # another instance of the service
    try:
        assert _login(first.test_client(), address=address).status_code == 200
        assert _login(second.test_client(), address=address).status_code == 200
        assert _login(first.test_client(), address=address).status_code == 200
        r = _login(second.test_client(), address=address)
        assert_problem(r, 429)
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        keys = redis.Redis.from_url(REDIS_URL).keys(f"*{address}*")
        assert keys, "the counters live in Redis"
    finally:
        first.extensions["referral.db"].dispose()
        second.extensions["referral.db"].dispose()


def test_a_logged_in_browser_hitting_the_limit_gets_429_not_an_error(world, app, dbs):
    app.config["RATE_LIMIT_LOGIN"] = "2 per minute"
    world.user("cato", "CAW Gent", ["reference_person"])
    browser = world.app.test_client()

    def log_in() -> Any:
        page = browser.get("/login" if browser.get_cookie("livc_session") is None else "/")
        token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        return browser.post("/login", data={"username": "cato", "password": PASSWORD,
                                             "csrf_token": token})

    assert log_in().status_code == 302
    assert log_in().status_code == 302  # logged in, and logging in again
    r = log_in()
    assert r.status_code == 429
    assert dbs.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "ratelimit:exceeded")) == "ratelimit:exceeded"
    dbs.commit()
