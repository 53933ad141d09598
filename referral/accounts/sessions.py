"""Authentication plumbing: flask-login with server-side sessions and bearer tokens,
CSRF for cookie sessions, and the current actor.

The cookie holds only a random session id; the ``user_sessions`` table holds
its SHA-256.  Ending a row ends the session everywhere at once (logout,
deactivation, role change), on the very next request.

Second factor: when MFA applies to a user (:func:`mfa_applies`), a session whose
``mfa_verified_at`` is empty is *pending*: it has passed the password only and
reaches nothing but :data:`PENDING_ENDPOINTS` (enter the code, enrol, log out).
Completing the second factor rotates the session id.  Sensitive actions call
:func:`require_recent_mfa` (step-up).  Bearer tokens carry no second factor:
step-up actions are refused for them (401 ``step_up``) unless MFA does not apply
to the token's user.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from policies.actor import Actor
from referral.accounts.models import ApiToken, User, UserSession
from referral.core import actor, clock, db, errors
from referral.core.transaction import denial

login_manager = LoginManager()
csrf = CSRFProtect()

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
STEP_UP_MINUTES = 10
PENDING_MFA_MINUTES = 15  # time to enter the code (or enrol) after the password

# What a session that passed the password but not yet the second factor may reach.
PENDING_ENDPOINTS = frozenset({
    "static", "health.healthz", "health.readyz", "openapi.openapi_json",
    "auth.login_page", "auth.login_mfa_page", "auth.mfa_page", "auth.logout_page",
    "api_accounts.login", "api_accounts.logout", "api_accounts.csrf_token",
    "api_accounts.mfa_status", "api_accounts.mfa_enrol", "api_accounts.mfa_confirm",
})


def mfa_exemptions_allowed() -> bool:
    """Accounts may be exempted from MFA only while the app does not require it."""
    return not current_app.config.get("MFA_REQUIRED")


def mfa_applies(user: User) -> bool:
    """MFA is required of this user (app and account say so) or the user enrolled anyway."""
    required = bool(current_app.config.get("MFA_REQUIRED")) and user.mfa_required
    return required or user.mfa_enrolled_at is not None


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

    @property
    def mfa_pending(self) -> bool:
        """A session past the password whose second factor is still missing."""
        row = self.session_row
        return row is not None and row.mfa_verified_at is None and mfa_applies(self.user)


def _pending_allowed() -> bool:
    return request.endpoint in PENDING_ENDPOINTS


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        organisation_id=user.organisation_id,
        organisation_kind=user.organisation.kind,
        roles=frozenset((r.role, r.livc_id) for r in user.roles),
        security_clearance=user.security_clearance,
    )


def _load_actor() -> Actor:
    """The request's actor (installed into ``referral.core.actor``): anonymous until both
    factors are done, except on the pages a pending session may reach."""
    if current_user.is_authenticated and (not current_user.mfa_pending or _pending_allowed()):
        return actor_for(current_user.user)
    return Actor.anonymous()


def _session_expired(row: UserSession, user: User, now: datetime) -> str | None:
    cfg = current_app.config
    if now - row.last_seen_at > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        return "idle_timeout"
    if now - row.created_at > timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]):
        return "absolute_timeout"
    if row.mfa_verified_at is None and now - row.created_at > timedelta(
            minutes=PENDING_MFA_MINUTES) and mfa_applies(user):
        return "mfa_timeout"
    return None


def _read_credentials_first(s: Session) -> bool:
    """On SQLite, read the credentials in a read-only transaction of their own.

    Every other transaction there begins IMMEDIATE, taking the database's single write lock
    at its first statement; authenticating inside it kept the lock over a third of every
    request's database work.  The caller ends this one (``_end_credential_reads``) before
    the request's own transaction starts.  PostgreSQL locks rows, not the database: there
    the credentials are read in the request's transaction, saving a round trip.
    """
    if s.in_transaction() or db.database().dialect != "sqlite":
        return False
    s.connection(execution_options={db.SQLITE_BEGIN: "DEFERRED"})
    return True


def _end_credential_reads(s: Session, deferred: bool) -> None:
    if deferred:
        s.commit()  # nothing written: ends the read transaction, objects stay loaded


def _load_session(session_token: str) -> LoggedIn | None:
    s = db.session()
    deferred = _read_credentials_first(s)
    row = s.execute(
        select(UserSession).where(UserSession.token_hash == token_hash(session_token))
    ).scalar_one_or_none()
    user = s.get(User, row.user_id) if row is not None and row.ended_at is None else None
    _end_credential_reads(s, deferred)
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    expired = _session_expired(row, user, now) if user is not None else None
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
    deferred = _read_credentials_first(s)
    row = s.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip()))
    ).scalar_one_or_none()
    now = clock.now()
    valid = row is not None and row.revoked_at is None and row.expires_at > now
    user = s.get(User, row.user_id) if row is not None and valid else None
    _end_credential_reads(s, deferred)
    if row is None or not valid:
        return None
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(seconds=60):
        row.last_used_at = now
        s.commit()
    return LoggedIn(user, via_token=True)


def start_session(user: User, *, mfa_verified: bool, created_at: datetime | None = None
                  ) -> LoggedIn:
    """Create a new server-side session (a fresh id on every login)."""
    token = new_token()
    now = clock.now()
    row = UserSession(
        token_hash=token_hash(token), user_id=user.id, created_at=created_at or now,
        last_seen_at=now,
        mfa_verified_at=now if mfa_verified else None,
        client_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:200],
    )
    s = db.session()
    _make_room(s, user.id, now)
    s.add(row)
    return LoggedIn(user, session_token=token, session_row=row)


def _make_room(s: Session, user_id: uuid.UUID, now: datetime) -> None:
    """At most SESSION_MAX_CONCURRENT open sessions per user: a new one ends the oldest."""
    limit = int(current_app.config["SESSION_MAX_CONCURRENT"])
    open_rows = list(s.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())))
    for row in open_rows[limit - 1:]:
        row.ended_at, row.end_reason = now, "session_limit"


def rotate_session(reason: str) -> LoggedIn:
    """Replace the current session by a new id after a second factor was entered.

    The old id stops working at once; the new session keeps the old one's start
    (the absolute lifetime is not extended) and records the second factor now.
    """
    old = current_user.session_row
    if old is None:
        raise errors.Unauthorized("A second factor is entered in a session, not with a token.")
    row = db.session().get(UserSession, old.id)
    assert row is not None
    row.ended_at, row.end_reason = clock.now(), reason
    fresh = start_session(current_user.user, mfa_verified=True, created_at=row.created_at)
    login_user(fresh)
    actor.forget()
    return fresh


def require_recent_mfa(max_age_minutes: int = STEP_UP_MINUTES) -> None:
    """Step-up: raise 401 ``{"mfa_required": true, "step_up": true}`` unless this session
    entered a second factor within ``max_age_minutes``.

    Passes when MFA does not apply to the user (see :func:`mfa_applies`).  Bearer
    tokens cannot step up, so they are refused whenever MFA applies.  Call it inside
    a view (before doing anything): the refusal is audited as ``auth:step_up``.
    """
    if not current_user.is_authenticated:
        raise errors.Unauthorized("Log in or send a bearer token.")
    if not mfa_applies(current_user.user):
        return
    row = current_user.session_row
    verified = row.mfa_verified_at if row is not None else None
    if verified is not None and clock.now() - verified <= timedelta(minutes=max_age_minutes):
        return
    if current_user.via_token:
        detail = ("This action needs a second factor entered in the last "
                  f"{max_age_minutes} minutes; a bearer token cannot give one: use a session.")
    else:
        detail = (f"This action needs a second factor entered in the last {max_age_minutes} "
                  "minutes: POST /api/v1/auth/step-up with a code, then retry.")
    raise errors.Unauthorized(
        detail, mfa_required=True, step_up=True,
        _audit=denial(actor.current_actor(), "auth:step_up", "step_up_required",
                      object_type="user", object_id=current_user.user.id))


def end_current_session(reason: str) -> None:
    """End the session this request came with, if any (before a new login replaces it)."""
    old = getattr(current_user, "session_row", None)
    row = db.session().get(UserSession, old.id) if old is not None else None
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = clock.now(), reason


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
    app.config.setdefault("SESSION_MAX_CONCURRENT", 10)
    actor.install(app, _load_actor)
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session table does this job

    @login_manager.user_loader
    def _user_loader(session_token: str) -> LoggedIn | None:
        # A request that names a bearer token is judged by that token alone: letting the
        # cookie win would skip CSRF (decided on the header) for a cookie-authenticated act.
        if uses_bearer():
            return None
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
    def _second_factor_first() -> Response | None:
        if request.routing_exception is not None or _pending_allowed():
            return None
        if not current_user.is_authenticated or not current_user.mfa_pending:
            return None
        enrolled = current_user.user.mfa_enrolled_at is not None
        if request.path.startswith("/api/"):
            raise errors.Unauthorized(
                "Enter your second factor first (POST /api/v1/auth/login with otp)." if enrolled
                else "Enrol a second factor first (POST /api/v1/auth/mfa/enrol).",
                mfa_required=True, enrolment_required=not enrolled)
        return redirect(url_for("auth.login_mfa_page" if enrolled else "auth.mfa_page"))

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
            # API login takes only application/json, which no cross-site form can send
            # (and fetch only after a CORS preflight this app never grants): a client
            # with an old or pending session cookie logs in again without a token.
            if request.endpoint == "api_accounts.login":
                return
            csrf.protect()


def _has_session() -> bool:
    return "_user_id" in session
