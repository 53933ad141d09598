"""The login, second-factor and logout pages and the language switch (no JavaScript;
forms carry the CSRF token).  The user's own account page is ``account_pages``.

Login is two steps when MFA applies: the password starts a *pending* session
(see ``referral.security``) that reaches only the code page, the MFA page and
logout; the code completes it under a new session id.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from referral.accounts import mfa, sessions
from referral.accounts import services as accounts
from referral.accounts.account_pages import LOCKED, WRONG_CODE  # and the account routes
from referral.accounts.api import CLEAR_SITE_DATA, establish_session
from referral.accounts.models import User
from referral.accounts.page_blueprint import bp
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.web import i18n, ratelimit
from referral.web.pages import page, same_site_path

__all__ = ["bp"]

WRONG_LOGIN = _l("Unknown username or wrong password.")


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


def _password_step(username: str, password: str) -> str:
    s = db.session()
    user = accounts.check_password(s, username, password)
    establish_session(user)
    if not sessions.mfa_applies(user):
        accounts.complete_login(s, user, "password")
        return url_for("home.home")
    # The session stays pending until the second factor (or the enrolment) is done.
    return url_for("auth.login_mfa_page" if user.mfa_enrolled else "auth.mfa_page")


@bp.route("/login", methods=["GET", "POST"])
@page("public:login_page")
@ratelimit.login_limit
def login_page() -> Any:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:80]
        password = request.form.get("password", "")  # verified exactly as typed (ASVS 6.2.8)
        try:
            if "\x00" in username + password:  # never real; PostgreSQL text cannot hold it
                raise errors.Unauthorized("Unknown username or wrong password.")
            return redirect(run_in_transaction(lambda: _password_step(username, password)))
        except errors.Unauthorized:
            error = WRONG_LOGIN
        except errors.TooManyRequests:
            error = LOCKED
    return _html("login.html", 401 if error else 200, error=error)


def _me() -> User:
    user = db.session().get(User, current_user.user.id)
    assert user is not None
    return user


def _code_step(code: str) -> None:
    s = db.session()
    user = _me()
    factor = mfa.check_second_factor(s, user, code, "auth:login")
    accounts.complete_login(s, user, f"password+{factor}")
    sessions.rotate_session("mfa_completed")


@bp.route("/login/code", methods=["GET", "POST"])
@page("session:manage")
@ratelimit.mfa_limit
def login_mfa_page() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))
    if not current_user.mfa_pending:
        return redirect(url_for("home.home"))
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")[:20]
        try:
            run_in_transaction(lambda: _code_step(code))
            return redirect(url_for("home.home"))
        except errors.Unauthorized:
            error = WRONG_CODE
        except errors.TooManyRequests:
            error = LOCKED
    return _html("login_code.html", 401 if error else 200, error=error)


def _mfa_action(action: str, code: str, password: str) -> list[str] | None:
    """Run one form action of the MFA page; recovery codes when some were made."""
    s = db.session()
    user = _me()
    actor = current_actor()
    pending = current_user.mfa_pending
    if action == "confirm":
        row = current_user.session_row
        codes = mfa.confirm_enrolment(s, actor, user, code, row.id if row else None)
        if pending:
            accounts.complete_login(s, user, "password+totp (enrolment)")
        sessions.rotate_session("mfa_completed" if pending else "mfa_enrolled")
        return codes
    if action not in {"start", "recovery"} or (action == "recovery" and not user.mfa_enrolled):
        raise errors.BadRequest("Unknown action.")
    # Changing the factors: the password again and, once enrolled, a current code.
    mfa.reauthenticate(s, user, password, pending=pending, action=f"mfa:{action}")
    if user.mfa_enrolled:
        mfa.check_second_factor(s, user, code, "auth:step_up")
        sessions.rotate_session("step_up")
    if action == "start":
        mfa.begin_enrolment(s, actor, user)
        return None
    return mfa.new_recovery_codes(s, actor, user)


def _mfa_error(exc: errors.Problem) -> str:
    if isinstance(exc, errors.ValidationFailed) and "password" in exc.errors:
        return _("Enter your password (it is needed to change your second factor).")
    if isinstance(exc, errors.ValidationFailed):
        return _("That code does not match. Check the clock of your device and try again.")
    if isinstance(exc, errors.Unauthorized):
        return str(WRONG_CODE)
    if isinstance(exc, errors.TooManyRequests):
        return str(LOCKED)
    if isinstance(exc, errors.Conflict):
        return _("Start the enrolment first.")
    return _("That did not work; try again.")


@bp.route("/mfa", methods=["GET", "POST"])
@page("session:manage")
@ratelimit.mfa_limit
def mfa_page() -> Any:
    if not current_user.is_authenticated or current_user.via_token:
        return redirect(url_for("auth.login_page"))
    error = None
    if request.method == "POST":
        action = request.form.get("action", "")
        code = request.form.get("code", "")[:20]
        password = request.form.get("password", "")
        try:
            codes = run_in_transaction(lambda: _mfa_action(action, code, password))
            if codes:
                # Shown this once; never stored in clear, never shown again.
                return _html("mfa_codes.html", codes=codes)
            return redirect(url_for("auth.mfa_page"))
        except errors.Problem as exc:
            error = _mfa_error(exc)
    user = _me()
    secret = mfa.pending_secret(db.session(), user)
    qr = mfa.qr_data_uri(mfa.provisioning_uri(user, secret)) if secret else None
    return _html("mfa.html", 422 if error else 200, error=error, user=user, secret=secret,
                 qr=qr, required=sessions.mfa_applies(user), pending=current_user.mfa_pending,
                 codes_left=mfa.recovery_codes_left(db.session(), user))


@bp.route("/logout", methods=["POST"])
@page("auth:logout")
def logout_page() -> Any:
    if current_user.is_authenticated:
        row = current_user.session_row
        run_in_transaction(lambda: accounts.logout(db.session(), current_actor(), row))
        logout_user()
    response = redirect(url_for("auth.login_page"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@bp.route("/language", methods=["POST"])
@page("public:language")
def choose_language() -> Response:
    """Switch the pages' language: a cookie before login, the account's setting after."""
    choice = request.form.get("language", "")
    target = same_site_path(request.form.get("next", "")) or url_for("home.home")
    response = redirect(target, code=303)
    if choice not in i18n.LANGUAGES:
        return response  # type: ignore[return-value]
    response.set_cookie(i18n.COOKIE, choice, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=request.is_secure)
    if current_user.is_authenticated:
        s = db.session()
        user = s.get(User, current_user.user.id)
        if user is not None and user.locale != choice:
            user.locale = choice
            s.commit()
    return response  # type: ignore[return-value]
