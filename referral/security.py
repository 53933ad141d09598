"""Authentication plumbing: flask-login with server-side sessions and bearer tokens,
CSRF for cookie sessions, and the current actor.

The cookie holds only a random session id; the ``user_sessions`` table holds
its SHA-256.  Ending a row ends the session everywhere at once (logout,
deactivation, role change), on the very next request.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, request
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from policies.actor import Actor
from referral import clock, db
from referral.accounts.models import ApiToken, User, UserSession

login_manager = LoginManager()
csrf = CSRFProtect()

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


class LoggedIn(UserMixin):
    """What flask-login holds for a request: the user row and how they authenticated."""

    def __init__(self, user: User, session_token: str | None = None,
                 session_row: UserSession | None = None, via_token: bool = False) -> None:
        self.user = user
        self.session_token = session_token
        self.session_row = session_row
        self.via_token = via_token

    def get_id(self) -> str | None:
        # flask-login stores this in the cookie: the session id, never the user id.
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.user.active


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        organisation_id=user.organisation_id,
        organisation_kind=user.organisation.kind,
        roles=frozenset((r.role, r.livc_id) for r in user.roles),
        security_clearance=user.security_clearance,
    )


def current_actor() -> Actor:
    if "actor" not in g:
        if current_user.is_authenticated:
            g.actor = actor_for(current_user.user)
        else:
            g.actor = Actor.anonymous()
    actor: Actor = g.actor
    return actor


def _session_expired(row: UserSession, now: datetime) -> str | None:
    cfg = current_app.config
    if now - row.last_seen_at > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        return "idle_timeout"
    if now - row.created_at > timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]):
        return "absolute_timeout"
    return None


def _load_session(session_token: str) -> LoggedIn | None:
    s = db.session()
    row = s.execute(
        select(UserSession).where(UserSession.token_hash == token_hash(session_token))
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    expired = _session_expired(row, now)
    user = s.get(User, row.user_id)
    if expired or user is None or not user.active:
        row.ended_at, row.end_reason = now, expired or "user_inactive"
        s.commit()
        return None
    # Touch at most once a minute: avoids a write per request for idle tracking.
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now
        s.commit()
    return LoggedIn(user, session_token=session_token, session_row=row)


def _load_bearer(header: str) -> LoggedIn | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    s = db.session()
    row = s.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip()))
    ).scalar_one_or_none()
    now = clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(seconds=60):
        row.last_used_at = now
        s.commit()
    return LoggedIn(user, via_token=True)


def start_session(user: User, *, mfa_verified: bool) -> LoggedIn:
    """Create a new server-side session (a fresh id on every login)."""
    token = new_token()
    now = clock.now()
    row = UserSession(
        token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
        mfa_verified_at=now if mfa_verified else None,
        client_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:200],
    )
    db.session().add(row)
    return LoggedIn(user, session_token=token, session_row=row)


def end_sessions_of(user_id: uuid.UUID, reason: str, *, except_id: uuid.UUID | None = None
                    ) -> int:
    s = db.session()
    rows = s.execute(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).scalars()
    count = 0
    for row in rows:
        if row.id != except_id:
            row.ended_at, row.end_reason = clock.now(), reason
            count += 1
    return count


def uses_bearer() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session table does this job

    @login_manager.user_loader
    def _user_loader(session_token: str) -> LoggedIn | None:
        return _load_session(session_token)

    @login_manager.request_loader
    def _request_loader(req: Any) -> LoggedIn | None:
        header = req.headers.get("Authorization")
        return _load_bearer(header) if header else None

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("WTF_CSRF_HEADERS", ["X-CSRF-Token", "X-CSRFToken"])
    csrf.init_app(app)

    @app.before_request
    def _csrf_for_cookie_sessions() -> None:
        # Bearer requests carry no ambient credentials, so CSRF cannot ride on them.
        if request.routing_exception is not None:
            return  # 404/405 answer first; there is nothing to protect
        if request.method in UNSAFE_METHODS and not uses_bearer():
            # An anonymous API request has no ambient credential for CSRF to ride on: it
            # gets 401 from the route.  HTML forms (login included) always need the token.
            if request.path.startswith("/api/") and not _has_session():
                return
            csrf.protect()


def _has_session() -> bool:
    from flask import session

    return "_user_id" in session
