"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend is migrated once per test run (Alembic to head: the migrations are
the schema); each test then gets its own fresh copy: a copied SQLite file, or a
PostgreSQL database created from the migrated template.  Outside CI the
PostgreSQL half is skipped, visibly, when no server answers; in CI
(``CI=true``) it is required.
"""

from __future__ import annotations

import base64
import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from referral import create_app
from referral.core import clock, migrate

PG_URL = os.environ.get("REFERRAL_TEST_POSTGRES_URL",
                        "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
PASSWORD = "correct horse battery"

TEST_SECRETS = {
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "MASTER_KEYS": "k1:" + base64.urlsafe_b64encode(b"m" * 32).decode(),
    "PSEUDONYM_KEY": base64.urlsafe_b64encode(b"p" * 32).decode(),
    "AUDIT_SIGNING_KEY": base64.urlsafe_b64encode(b"s" * 32).decode(),
}


def _pg_admin_url(dbname: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{dbname}"


def _pg_execute(sql: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but does not answer at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: no server answers at {PG_URL}")
    name = f"lr_tpl_{RUN_ID}"
    _pg_execute(f"CREATE DATABASE {name}")
    migrate.upgrade(_pg_admin_url(name))
    yield name
    _pg_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"lr_t_{RUN_ID}_{next(_counter)}"
    _pg_execute(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    yield _pg_admin_url(name)
    _pg_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    clock.reset()
    # Every test client comes from 127.0.0.1 and some tests log one user in many times:
    # the per-address login limit and the open sessions per user are raised here;
    # tests/test_ratelimit.py and tests/test_sessions.py check the real limits.
    application = create_app({"DATABASE_URL": database_url, "ENV": "development",
                              "TESTING": True, "RATE_LIMIT_LOGIN": "1000 per minute",
                              "SESSION_MAX_CONCURRENT": 100, **TEST_SECRETS})
    application.instance_path = str(tmp_path / "instance")
    yield application
    application.extensions["referral.db"].dispose()
    clock.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def dbs(app: Flask) -> Iterator[Any]:
    """A session outside any request, for arranging data and looking behind the API."""
    s = app.extensions["referral.db"].sessionmaker()
    yield s
    s.close()


@dataclass
class Api:
    """A logged-in client: sends the CSRF token on state-changing requests."""

    client: FlaskClient
    csrf: str | None = None
    bearer: str | None = None

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.csrf:
            headers.setdefault("X-CSRF-Token", self.csrf)
        if self.bearer:
            headers.setdefault("Authorization", f"Bearer {self.bearer}")
        return headers

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.get(url, headers=self._headers(headers), **kw)

    def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None,
             **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self._headers(headers), **kw)

    def patch(self, url: str, json: Any = None, headers: dict[str, str] | None = None,
              **kw: Any) -> Any:
        return self.client.patch(url, json=json, headers=self._headers(headers), **kw)

    def delete(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(headers), **kw)


_HASHES: dict[str, str] = {}


class World:
    """Factories that read like the rules: ``world.user('caw', roles=['reference_person'])``."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.orgs: dict[str, Any] = {}
        self.livc: Any = None

    def session(self) -> Any:
        return self.app.extensions["referral.db"].sessionmaker()

    def org(self, name: str, kind: str = "caw") -> Any:
        from referral.organisations.models import Organisation

        if name not in self.orgs:
            with self.session() as s:
                org = Organisation(name=name, kind=kind)
                s.add(org)
                s.commit()
                self.orgs[name] = org
        return self.orgs[name]

    def make_livc(self, name: str = "LIVC Test", members: tuple[str, ...] = ()) -> Any:
        from referral.organisations.models import Livc, LivcMember, LivcMunicipality

        with self.session() as s:
            livc = Livc(name=name, municipalities=[LivcMunicipality(nis_code="44021")])
            livc.members = [LivcMember(organisation_id=self.orgs[m].id) for m in members]
            s.add(livc)
            s.commit()
            self.livc = livc
        return livc

    def user(self, username: str, org: str, roles: list[str] | None = None,
             clearance: str = "none", password: str = PASSWORD) -> Any:
        from referral.accounts import passwords
        from referral.accounts.models import RoleAssignment, User
        from referral.ops.demo import LIVC_ROLES

        organisation = self.orgs.get(org) or self.org(org)
        if password not in _HASHES:  # argon2 is slow on purpose; hash each password once
            _HASHES[password] = passwords.hash_password(password)
        with self.session() as s:
            user = User(username=username, display_name=username.title(),
                        organisation_id=organisation.id, mfa_required=False,
                        password_hash=_HASHES[password],
                        security_clearance=clearance,
                        roles=[RoleAssignment(role=r,
                                              livc_id=self.livc.id if r in LIVC_ROLES else None)
                               for r in roles or []])
            s.add(user)
            s.commit()
            return user

    def login(self, username: str, password: str = PASSWORD, otp: str | None = None) -> Api:
        """A logged-in client (``otp`` for accounts with a second factor: see ``totp``)."""
        client = self.app.test_client()
        body = {"username": username, "password": password}
        if otp is not None:
            body["otp"] = otp
        r = client.post("/api/v1/auth/login", json=body)
        assert r.status_code == 200, r.get_json()
        return Api(client, csrf=r.get_json()["csrf_token"])

    def enrol(self, api: Api) -> tuple[str, list[str]]:
        """Enrol TOTP for a logged-in client: (secret, recovery codes)."""
        r = api.post("/api/v1/auth/mfa/enrol", json={"password": PASSWORD})
        assert r.status_code == 201, r.get_json()
        secret = r.get_json()["secret"]
        r = api.post("/api/v1/auth/mfa/confirm", json={"otp": totp(secret)})
        assert r.status_code == 200, r.get_json()
        api.csrf = r.get_json()["csrf_token"]
        return secret, r.get_json()["recovery_codes"]

    def login_mfa(self, username: str, secret: str, password: str = PASSWORD) -> Api:
        return self.login(username, password, otp=totp(secret))


def totp(secret: str) -> str:
    """A code for the next 30-second step (moves the clock on: codes are single-use)."""
    clock.advance(timedelta(seconds=30))
    return pyotp.TOTP(secret).at(clock.now())


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


@pytest.fixture
def admin(world: World) -> Api:
    world.org("Operator", "other")
    world.user("root", "Operator", ["admin"])
    return world.login("root")
