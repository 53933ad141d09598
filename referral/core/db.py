"""Engine, session and declarative base.

One SQLAlchemy session per request (kept on ``flask.g``); services only flush,
``referral.transaction`` commits once.  On SQLite every transaction starts with
``BEGIN IMMEDIATE``: almost every request writes (each read of case data is
audited), and a deferred BEGIN fails concurrent read-then-write transactions
with "database is locked" instead of waiting for the lock.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from flask import current_app, g
from sqlalchemy import Engine, Select, create_engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(SQLITE_BEGIN) == "DEFERRED":
            conn.exec_driver_sql("BEGIN")  # reads only: see security.authenticate_first
            return
        _begin_immediate(conn.connection.driver_connection)


# Execution option naming how a SQLite transaction begins: "IMMEDIATE" (the default: the
# write lock at the first statement, so a transaction that reads and then writes cannot
# fail half-way with SQLITE_BUSY_SNAPSHOT) or "DEFERRED" (a read-only transaction).
SQLITE_BEGIN = "referral_sqlite_begin"
SQLITE_BUSY_WAIT_S = 10.0


def _begin_immediate(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in short steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms between attempts:
    a worker that finds the lock taken often sleeps long after it was released (the
    benchmark's p99 was 5-10 times its p50).  Here the attempts are 0.2 to 2 ms apart, for
    at most ``SQLITE_BUSY_WAIT_S``; then the request fails as "database unavailable" (503).
    """
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + SQLITE_BUSY_WAIT_S
        pause = 0.0002
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorcode", 5) & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
    finally:
        raw.execute("PRAGMA busy_timeout=10000")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10}, **kwargs)
        _sqlite_events(engine)
        return engine
    # No JIT: it pays off for long analytical queries, not for this application's short
    # ones; the case scope's planner cost once crossed jit_above_cost from about 10k cases
    # on (~90 ms of compilation per list query, policies/scopes.py).
    # A database host that stops answering (powered off, packets dropped) must give 503s,
    # not requests hanging until gunicorn kills the worker: bounded connects, and TCP
    # keepalives and a user timeout for connections that go silent.
    connect_args = {"options": "-c jit=off", "connect_timeout": 5, "keepalives_idle": 30,
                    "keepalives_interval": 10, "keepalives_count": 3,
                    "tcp_user_timeout": 10_000, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def database() -> Database:
    db: Database = current_app.extensions["referral.db"]
    return db


def session() -> Session:
    """The request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    s: Session = g.db_session
    return s


def close_session(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def count_upto(s: Session, stmt: Select[Any], limit: int) -> tuple[int, bool]:
    """How many rows ``stmt`` matches, counting no further than ``limit``.

    Returns ``(total, exact)``; past the limit ``(limit, False)``.  An exact count is a pass
    over every match (12 ms for 100k visible cases, a second for 10M audit events) on each
    page; nobody pages through ten thousand rows, they filter.
    """
    n = s.scalar(select(func.count()).select_from(stmt.limit(limit + 1).subquery())) or 0
    return min(n, limit), n <= limit


def paginate(s: Session, stmt: Select[Any], page: int, per_page: int, *order_by: Any
             ) -> tuple[list[Any], int]:
    """One page of ``stmt`` (ordered) and the total number of rows it matches."""
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = s.scalars(stmt.order_by(*order_by).offset((page - 1) * per_page).limit(per_page))
    return list(rows.all()), total
