"""The user's own account page (language, second factor, sessions, API tokens, password)
and the step-up confirmation that sensitive changes ask for.

The same services as the API's ``/tokens``, ``/sessions`` and ``/auth/password`` routes, with
the same step-up (``sessions.require_recent_mfa``): when it refuses, the page sends the
user to :func:`step_up_page` and back.  The administration pages use the step-up helpers too.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from referral.accounts import messages, mfa, sessions
from referral.accounts import services as accounts
from referral.accounts.models import User
from referral.accounts.page_blueprint import bp
from referral.accounts.schemas import TokenIn
from referral.core import clock, db, errors
from referral.core.actor import current_actor
from referral.core.ledger import chain
from referral.core.transaction import run_in_transaction
from referral.notifications import services as notifications
from referral.web import problems, ratelimit
from referral.web.pages import page, same_site_path

LOCKED = _l("Too many failed attempts. Wait a few minutes and try again.")
WRONG_CODE = _l("That code is wrong, expired or was used already.")
STEP_UP_NEEDED = _l("Confirm with a code from your authenticator app first: this change needs "
                    "a second factor entered in the last 10 minutes.")


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


def _me() -> User:
    user = db.session().get(User, current_user.user.id)
    assert user is not None
    return user


# -- step-up: the second factor again before a sensitive change ----------------------------


def step_up_needed() -> bool:
    """Whether a sensitive change (``sessions.require_recent_mfa``) would be refused now:
    pages say so before the form is filled in."""
    if not current_user.is_authenticated or not sessions.mfa_applies(current_user.user):
        return False
    row = current_user.session_row
    verified = row.mfa_verified_at if row is not None else None
    return verified is None or clock.now() - verified > timedelta(
        minutes=sessions.STEP_UP_MINUTES)


def is_step_up(exc: errors.Problem) -> bool:
    return isinstance(exc, errors.Unauthorized) and bool(exc.extra.get("step_up"))


def step_up_redirect(back: str) -> Response:
    """To the confirmation page, and back to ``back`` afterwards."""
    flash(str(STEP_UP_NEEDED), "error")
    return redirect(url_for("auth.step_up_page", next=back), code=303)  # type: ignore[return-value]


def _step_up(code: str) -> None:
    s = db.session()
    user = _me()
    factor = mfa.check_second_factor(s, user, code, "auth:step_up")
    sessions.rotate_session("step_up")
    chain.record(s, current_actor(), "auth:step_up", object_type="user", object_id=user.id,
                 purpose=f"factor: {factor}")


@bp.route("/account/confirm", methods=["GET", "POST"])
@page("session:manage")
@ratelimit.mfa_limit
def step_up_page() -> Any:
    if not current_user.is_authenticated or current_user.via_token:
        return redirect(url_for("auth.login_page"))
    back = same_site_path(request.values.get("next", "")) or url_for("auth.account_page")
    if not current_user.user.mfa_enrolled:
        return redirect(back)
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")[:20]
        try:
            run_in_transaction(lambda: _step_up(code))
            flash(_("Confirmed. You can make changes for the next 10 minutes."), "ok")
            return redirect(back, code=303)
        except errors.Unauthorized:
            error = WRONG_CODE
        except errors.TooManyRequests:
            error = LOCKED
    return _html("account/confirm.html", 401 if error else 200, error=error, back=back)


# -- my account: language, second factor, sessions, API tokens, password -------------------


def _account(status: int = 200, **extra: Any) -> Response:
    def load() -> dict[str, Any]:
        s = db.session()
        actor = current_actor()
        user = _me()
        row = current_user.session_row
        return {"user": user, "sessions": accounts.list_sessions(s, actor),
                "current_session_id": row.id if row is not None else None,
                "tokens": accounts.list_tokens(s, actor), "now": clock.now(),
                "mfa_applies": sessions.mfa_applies(user),
                "digest_rhythm": user.digest_rhythm,
                "codes_left": mfa.recovery_codes_left(s, user) if user.mfa_enrolled else 0}

    return _html("account/account.html", status, step_up=step_up_needed(),
                 **run_in_transaction(load), **extra)


def _signed_in() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    return None


@bp.get("/account")
@page("self:read")
def account_page() -> Any:
    return _signed_in() or _account()


def _done(message: str) -> Response:
    flash(message, "ok")
    return redirect(url_for("auth.account_page"), code=303)  # type: ignore[return-value]


def _refused(exc: errors.Problem, fields: dict[str, Any] | None = None) -> Response:
    if is_step_up(exc):
        return step_up_redirect(url_for("auth.account_page"))
    flash(problems.describe(exc, fields=fields), "error")
    return redirect(url_for("auth.account_page"), code=303)  # type: ignore[return-value]


TOKEN_FIELDS = {"name": _l("Name of the token"), "expires_in_days": _l("Valid for (days)")}


@bp.post("/account/tokens")
@page("token:manage")
@ratelimit.token_limit
def token_create() -> Any:
    if (gone := _signed_in()) is not None:
        return gone
    raw = {"name": request.form.get("name", "").strip(),
           "expires_in_days": request.form.get("expires_in_days", "30").strip() or "30"}
    try:
        body = TokenIn().load(raw)
    except ValidationError as exc:
        invalid = errors.ValidationFailed(exc.messages)  # type: ignore[arg-type]
        return _account(422, token_errors=messages.field_messages(invalid), token_form=raw)

    def create() -> tuple[Any, str]:
        sessions.require_recent_mfa()
        return accounts.create_token(db.session(), current_actor(), body["name"],
                                     body["expires_in_days"])

    try:
        row, token = run_in_transaction(create)
    except errors.Problem as exc:
        return _refused(exc, TOKEN_FIELDS)
    # The token itself is in this one response only: it is stored as a hash.
    return _account(201, new_token=token, new_token_name=row.name)


@bp.post("/account/tokens/<uuid:token_id>/revoke")
@page("token:manage")
def token_revoke(token_id: uuid.UUID) -> Any:
    if (gone := _signed_in()) is not None:
        return gone
    try:
        run_in_transaction(lambda: accounts.revoke_token(db.session(), current_actor(),
                                                         token_id))
    except errors.Problem as exc:
        return _refused(exc)
    return _done(_("The token is revoked: it no longer works."))


def _end_sessions(session_ids: list[uuid.UUID]) -> int:
    sessions.require_recent_mfa()
    s = db.session()
    actor = current_actor()
    for session_id in session_ids:
        accounts.end_session(s, actor, session_id)
    return len(session_ids)


@bp.post("/account/sessions/<uuid:session_id>/end")
@page("session:manage")
def session_end(session_id: uuid.UUID) -> Any:
    if (gone := _signed_in()) is not None:
        return gone
    row = current_user.session_row
    if row is not None and row.id == session_id:
        # Ending this very session is logging out: say so rather than lock the user out.
        flash(_("This is the session you are using: log out to end it."), "error")
        return redirect(url_for("auth.account_page"), code=303)
    try:
        run_in_transaction(lambda: _end_sessions([session_id]))
    except errors.Problem as exc:
        return _refused(exc)
    return _done(_("The session is ended."))


@bp.post("/account/sessions/end-others")
@page("session:manage")
def sessions_end_others() -> Any:
    if (gone := _signed_in()) is not None:
        return gone
    row = current_user.session_row

    def end_others() -> int:
        others = [r.id for r in accounts.list_sessions(db.session(), current_actor())
                  if row is None or r.id != row.id]
        return _end_sessions(others)

    try:
        ended = run_in_transaction(end_others)
    except errors.Problem as exc:
        return _refused(exc)
    return _done(_("Other sessions ended: %(count)s.", count=ended))


PASSWORD_FIELDS = {"current_password": _l("Current password"),
                   "new_password": _l("New password")}


@bp.post("/account/password")
@page("self:read")
def password_change() -> Any:
    if (gone := _signed_in()) is not None:
        return gone
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    row = current_user.session_row
    try:
        run_in_transaction(lambda: accounts.change_password(
            db.session(), current_actor(), current, new, row.id if row else None))
    except errors.ValidationFailed as exc:
        # Passwords are never sent back into the form.
        return _account(422, password_errors=messages.field_messages(exc))
    except errors.Problem as exc:
        return _refused(exc, PASSWORD_FIELDS)
    return _done(_("Your password is changed; your other sessions were ended."))


DIGEST_FIELDS = {"rhythm": _l("How often")}


@bp.post("/account/digest")
@page("self:read")
def digest_rhythm() -> Any:
    """How often the digest of forgotten cases comes: the same service as the API's."""
    if (redirect_to := _signed_in()) is not None:
        return redirect_to
    rhythm = request.form.get("rhythm", "")
    try:
        run_in_transaction(lambda: notifications.set_digest_rhythm(db.session(),
                                                                   current_actor(), rhythm))
    except errors.Problem as exc:
        return _refused(exc, DIGEST_FIELDS)
    return _done(_("Your digest setting is saved."))

