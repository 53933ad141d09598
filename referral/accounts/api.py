from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify
from flask import session as cookie_session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from marshmallow import fields

from referral.accounts import mfa, services, sessions
from referral.accounts.blueprint import bp
from referral.accounts.schemas import (
    CsrfOut,
    EndedOut,
    EndSessionsQuery,
    LoginIn,
    LoginOut,
    PasswordChangeIn,
    SessionOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.ledger import chain
from referral.core.schemas import PageQuery
from referral.web import ratelimit
from referral.web.api import expected_version, page_of, route


def establish_session(user: Any, *, mfa_verified: bool = False) -> dict[str, Any]:
    """Start a fresh server-side session and a fresh cookie (no session fixation).

    A session this client already had (pending or complete) ends: a login always
    yields a new id.
    """
    sessions.end_current_session("replaced")
    cookie_session.clear()
    logged_in = sessions.start_session(user, mfa_verified=mfa_verified)
    login_user(logged_in)
    return {"user": user, "csrf_token": generate_csrf()}


def mfa_challenge(detail: str, **extra: Any) -> Response:
    """401 ``{"mfa_required": true, ...}`` returned (not raised): what the request did so
    far (audit, a pending session) is committed."""
    response = jsonify(errors.Unauthorized(detail, mfa_required=True, **extra).body())
    response.status_code = 401
    response.mimetype = "application/problem+json"
    return response


@route(bp, "/auth/login", "POST", action="auth:login", public=True, body=LoginIn,
       response=LoginOut, summary="Log in with username, password and (when MFA applies) a "
       "TOTP or recovery code in otp; sets the session cookie", statuses=(401, 429))
@ratelimit.login_limit
def login(body: dict[str, Any]) -> Any:
    s = db.session()
    user = services.check_password(s, body["username"], body["password"])
    if not sessions.mfa_applies(user):
        services.complete_login(s, user, "password")
        return establish_session(user)
    actor = sessions.actor_for(user)
    if not user.mfa_enrolled:
        # A pending session that reaches only the enrolment endpoints.
        started = establish_session(user)
        chain.record(s, actor, "auth:login", object_type="user", object_id=user.id,
                     outcome="denied", rule="mfa_enrolment_required")
        return mfa_challenge("Enrol a second factor: POST /api/v1/auth/mfa/enrol, then "
                             "/api/v1/auth/mfa/confirm (this response's cookie and CSRF token).",
                             enrolment_required=True, csrf_token=started["csrf_token"])
    if not body.get("otp"):
        chain.record(s, actor, "auth:login", object_type="user", object_id=user.id,
                     outcome="denied", rule="mfa_required")
        return mfa_challenge("Send the code from your authenticator app (or a recovery code) "
                             "as otp.")
    factor = mfa.check_second_factor(s, user, body["otp"], "auth:login")
    services.complete_login(s, user, f"password+{factor}")
    return establish_session(user, mfa_verified=True)


CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@route(bp, "/auth/logout", "POST", action="auth:logout", status=204,
       summary="End this session everywhere")
def logout() -> Any:
    row = current_user.session_row if not current_user.via_token else None
    services.logout(db.session(), current_actor(), row)
    logout_user()
    cookie_session.clear()
    done = Response(status=204, headers={"Clear-Site-Data": CLEAR_SITE_DATA})
    del done.headers["Content-Type"]
    return done


@route(bp, "/auth/csrf", "GET", action="auth:csrf", public=True, response=CsrfOut,
       summary="A CSRF token for cookie-session requests")
def csrf_token() -> Any:
    return {"csrf_token": generate_csrf()}


@route(bp, "/auth/password", "POST", action="self:read", body=PasswordChangeIn, status=204,
       summary="Change your password (ends your other sessions)")
def change_password(body: dict[str, Any]) -> Any:
    row = current_user.session_row
    services.change_password(db.session(), current_actor(), body["current_password"],
                             body["new_password"], row.id if row else None)
    return None, 204


@route(bp, "/me", "GET", action="self:read", response=UserOut, summary="Who am I")
def me() -> Any:
    return db.session().get(type(current_user.user), current_user.user.id)


@route(bp, "/tokens", "POST", action="token:manage", body=TokenIn, response=TokenCreated,
       status=201, summary="Create a personal API token (shown once; needs a recent second "
       "factor when MFA applies)", statuses=(429,))
@ratelimit.token_limit
def create_token(body: dict[str, Any]) -> Any:
    sessions.require_recent_mfa()
    row, token = services.create_token(db.session(), current_actor(), body["name"],
                                       body["expires_in_days"])
    return {"id": row.id, "token": token, "name": row.name, "expires_at": row.expires_at}


@route(bp, "/tokens", "GET", action="token:manage", response=TokenOut, many=True,
       summary="Your API tokens (never the token values)")
def list_tokens() -> Any:
    return services.list_tokens(db.session(), current_actor())


@route(bp, "/tokens/<uuid:token_id>", "DELETE", action="token:manage", status=204,
       summary="Revoke one of your API tokens")
def revoke_token(token_id: uuid.UUID) -> Any:
    services.revoke_token(db.session(), current_actor(), token_id)
    return None, 204


@route(bp, "/sessions", "GET", action="session:manage", response=SessionOut, many=True,
       summary="Your open sessions")
def list_sessions() -> Any:
    mine = current_user.session_row
    rows = services.list_sessions(db.session(), current_actor())
    return [{**{c: getattr(r, c) for c in ("id", "created_at", "last_seen_at",
                                           "client_address", "user_agent")},
             "current": mine is not None and r.id == mine.id} for r in rows]


@route(bp, "/sessions/<uuid:session_id>", "DELETE", action="session:manage", status=204,
       summary="End one of your sessions (needs a recent second factor when MFA applies)")
def end_session(session_id: uuid.UUID) -> Any:
    sessions.require_recent_mfa()
    services.end_session(db.session(), current_actor(), session_id)
    return None, 204


@route(bp, "/users/<uuid:user_id>/sessions", "DELETE", action="user:end_sessions",
       query=EndSessionsQuery, response=EndedOut, summary="End every session of a user, and "
       "with tokens=true revoke their API tokens (admin; needs a recent second factor)")
def end_user_sessions(user_id: uuid.UUID, query: dict[str, Any]) -> Any:
    sessions.require_recent_mfa()
    return services.end_sessions(db.session(), current_actor(), user_id, query["tokens"])


@route(bp, "/users/sessions", "DELETE", action="user:end_sessions", query=EndSessionsQuery,
       response=EndedOut, summary="End the sessions of every user but your current one, and "
       "with tokens=true revoke every API token (admin; needs a recent second factor)")
def end_all_sessions(query: dict[str, Any]) -> Any:
    sessions.require_recent_mfa()
    row = current_user.session_row
    return services.end_sessions(db.session(), current_actor(), None, query["tokens"],
                                 keep_session_id=row.id if row else None)


class UserQuery(PageQuery):
    organisation_id = fields.UUID()


@route(bp, "/users", "POST", action="user:create", body=UserIn, response=UserOut, status=201,
       summary="Create a user with roles (admin: LIVC and oversight roles and an "
       "organisation's first access manager; access manager: its organisation's users and "
       "case roles; needs a recent second factor)")
def create_user(body: dict[str, Any]) -> Any:
    sessions.require_recent_mfa()
    return services.create_user(db.session(), current_actor(), body)


@route(bp, "/users", "GET", action="user:list", query=UserQuery, response=UserOut,
       paginated=True, summary="List users (admin: all; access manager: its organisation's)")
def list_users(query: dict[str, Any]) -> Any:
    rows, total = services.list_users(db.session(), current_actor(), query["page"],
                                      query["per_page"], query.get("organisation_id"))
    return page_of(rows, total, query["page"], query["per_page"])


@route(bp, "/users/<uuid:user_id>", "GET", action="user:read", response=UserOut,
       summary="One user (admin; access manager: its organisation's)")
def get_user(user_id: uuid.UUID) -> Any:
    return services.user_for(db.session(), current_actor(), user_id, "user:read")


@route(bp, "/users/<uuid:user_id>", "PATCH", action="user:update", body=UserPatch,
       response=UserOut, summary="Change a user's roles, name or active flag, or reset their "
       "MFA (admin; access manager for its organisation's users and case roles; needs a "
       "recent second factor)", statuses=(409,))
def update_user(user_id: uuid.UUID, body: dict[str, Any]) -> Any:
    sessions.require_recent_mfa()
    return services.update_user(db.session(), current_actor(), user_id, body,
                                expected_version(body))


