from __future__ import annotations

import uuid
from typing import Any

from flask import session as cookie_session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from marshmallow import fields

from referral import db, security
from referral.accounts import services
from referral.accounts.schemas import (
    CsrfOut,
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
from referral.api import api_blueprint, expected_version, page_of, route
from referral.schemas import PageQuery
from referral.security import current_actor

bp = api_blueprint("accounts")


def establish_session(user: Any) -> dict[str, Any]:
    """Start a fresh server-side session and a fresh cookie (no session fixation)."""
    cookie_session.clear()
    logged_in = security.start_session(user, mfa_verified=False)
    login_user(logged_in)
    return {"user": user, "csrf_token": generate_csrf()}


@route(bp, "/auth/login", "POST", action="auth:login", public=True, body=LoginIn,
       response=LoginOut, summary="Log in with username and password; sets the session cookie",
       statuses=(401, 429))
def login(body: dict[str, Any]) -> Any:
    user = services.login(db.session(), body["username"], body["password"])
    return establish_session(user)




@route(bp, "/auth/logout", "POST", action="auth:logout", status=204,
       summary="End this session everywhere")
def logout() -> Any:
    row = current_user.session_row if not current_user.via_token else None
    services.logout(db.session(), current_actor(), row)
    logout_user()
    cookie_session.clear()
    return None, 204


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
       status=201, summary="Create a personal API token (shown once)")
def create_token(body: dict[str, Any]) -> Any:
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
       summary="End one of your sessions")
def end_session(session_id: uuid.UUID) -> Any:
    services.end_session(db.session(), current_actor(), session_id)
    return None, 204


class UserQuery(PageQuery):
    organisation_id = fields.UUID()


@route(bp, "/users", "POST", action="user:create", body=UserIn, response=UserOut, status=201,
       summary="Create a user with roles (admin)")
def create_user(body: dict[str, Any]) -> Any:
    return services.create_user(db.session(), current_actor(), body)


@route(bp, "/users", "GET", action="user:list", query=UserQuery, response=UserOut,
       paginated=True, summary="List users (admin)")
def list_users(query: dict[str, Any]) -> Any:
    rows, total = services.list_users(db.session(), query["page"], query["per_page"],
                                      query.get("organisation_id"))
    return page_of(rows, total, query["page"], query["per_page"])


@route(bp, "/users/<uuid:user_id>", "GET", action="user:read", response=UserOut,
       summary="One user (admin)")
def get_user(user_id: uuid.UUID) -> Any:
    return services.get_user(db.session(), user_id)


@route(bp, "/users/<uuid:user_id>", "PATCH", action="user:update", body=UserPatch,
       response=UserOut, summary="Change a user's roles, name or active flag (admin)")
def update_user(user_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.update_user(db.session(), current_actor(), user_id, body,
                                expected_version(body))
