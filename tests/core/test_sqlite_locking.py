"""SQLite: credentials are read outside the write lock; writers wait in short steps."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from referral.core import db as referral_db
from tests.factories import build


def _trace(app: Any) -> list[str]:
    engine = app.extensions["referral.db"].engine
    statements: list[str] = []

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(lambda sql: statements.append(" ".join(sql.split())))

    engine.dispose()  # new connections get the trace
    return statements


def test_bearer_credentials_are_read_before_the_write_lock(app, world):
    if app.extensions["referral.db"].dialect != "sqlite":
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")
    case = build(world)
    api = world.login("owner_rp")
    token = api.post("/api/v1/tokens", json={"name": "t", "expires_in_days": 1}).get_json()
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer).status_code == 200
    statements = _trace(app)
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer).status_code == 200
    token_read = next(i for i, s in enumerate(statements) if "FROM api_tokens" in s)
    immediate = [i for i, s in enumerate(statements) if s == "BEGIN IMMEDIATE"]
    case_read = next(i for i, s in enumerate(statements) if s.startswith("SELECT cases.id"))
    # The token is read in a plain (deferred) transaction that ends before the request's
    # write transaction begins; the case is read under the write lock.
    assert statements[:token_read].count("BEGIN") == 1
    assert immediate
    assert all(i > token_read for i in immediate)
    assert immediate[0] < case_read
    assert "COMMIT" in statements[token_read:immediate[0]]


HOLD_S = 0.24


def test_a_waiting_writer_gets_the_lock_soon_after_it_is_released(app, world):
    if app.extensions["referral.db"].dialect != "sqlite":
        pytest.skip("SQLite's write lock")
    build(world)
    path = app.extensions["referral.db"].engine.url.database
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release() -> None:
        time.sleep(HOLD_S)
        released.set()
        holder.execute("COMMIT")

    waiter = threading.Thread(target=release)
    waiter.start()
    start = time.monotonic()
    with app.extensions["referral.db"].engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # begins IMMEDIATE: waits for the holder
        acquired = time.monotonic()
        conn.rollback()
    waiter.join()
    holder.close()
    assert released.is_set()
    # SQLite's own busy handler retries at 228 ms and then at 328 ms (sleeps of 1, 2, 5, 10,
    # ... 100 ms): 88 ms after the release.  Polling in short steps gets it within a few.
    assert HOLD_S - 0.01 <= acquired - start < HOLD_S + 0.05


def test_a_writer_gives_up_with_operational_error_after_the_wait(app, world, monkeypatch):
    if app.extensions["referral.db"].dialect != "sqlite":
        pytest.skip("SQLite's write lock")
    from sqlalchemy.exc import OperationalError

    build(world)
    monkeypatch.setattr(referral_db, "SQLITE_BUSY_WAIT_S", 0.2)
    holder = sqlite3.connect(app.extensions["referral.db"].engine.url.database,
                             isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError), \
                app.extensions["referral.db"].engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
