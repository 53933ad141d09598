"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend is migrated once per test run (Alembic to head: the migrations are
the schema); each test then gets its own fresh copy: a copied SQLite file, or a
PostgreSQL database created from the migrated template.  Outside CI the
PostgreSQL half is skipped, visibly, when no server answers; in CI
(``CI=true``) it is required.  What the fixtures hand out (``World``, ``Api``) is in
``tests/factories.py``.
"""

from __future__ import annotations

import base64
import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from referral import create_app
from referral.core import clock, migrate
from tests.factories import Api, World

PG_URL = os.environ.get("REFERRAL_TEST_POSTGRES_URL",
                        "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"

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
    # the per-address login limit, the per-user registration limit and the open sessions
    # per user are raised here;
    # tests/core/test_rate_limits.py and tests/accounts/test_sessions.py check the real limits.
    application = create_app({"DATABASE_URL": database_url, "ENV": "development",
                              "TESTING": True, "RATE_LIMIT_LOGIN": "1000 per minute",
                              "RATE_LIMIT_REGISTRATIONS": "1000 per minute",
                              "RATE_LIMIT_FEEDBACK": "1000 per minute",
                              # Signed by the tests that count on them (tests/audit).
                              "AUDIT_CHECKPOINT_INTERVAL": 0,
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


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


@pytest.fixture
def admin(world: World) -> Api:
    world.org("Operator", "other")
    world.user("root", "Operator", ["admin"])
    return world.login("root")
