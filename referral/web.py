"""Server-rendered pages (work without JavaScript; forms carry the CSRF token).

Login is two steps when MFA applies: the password starts a *pending* session
(see ``referral.security``) that reaches only the code page, the MFA page and
logout; the code completes it under a new session id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from referral import db, errors, ratelimit, security
from referral.accounts import mfa
from referral.accounts import services as accounts
from referral.accounts.api import CLEAR_SITE_DATA, establish_session
from referral.accounts.models import User
from referral.security import current_actor
from referral.transaction import run_in_transaction

bp = Blueprint("web", __name__)

LOCKED = "Too many failed attempts. Wait a few minutes and try again."
WRONG_CODE = "That code is wrong, expired or was used already."


def page(action: str) -> Any:
    """Declare a page's policy action (checked by the route-walking test)."""

    def decorator(view: Any) -> Any:
        view.policy_action = action
        return view

    return decorator


# Page numbers in query strings are bounded like the API's ?page: an offset past 64 bits is a
# database error, not a page.
MAX_PAGE = 1_000_000


def page_number() -> int:
    """The ?page of an HTML list, 1 when missing or not a number."""
    return max(1, min(request.args.get("page", 1, type=int) or 1, MAX_PAGE))


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_links(endpoint: str, **fixed: Any) -> Callable[[int], str]:
    """Pagination links (for ``_pager.html``) that keep the form's fields."""
    kept: dict[str, Any] = {k: v for k, v in request.args.items()
                            if k != "page" and v.strip()}

    def link(page_no: int) -> str:
        return url_for(endpoint, **{**kept, **fixed, "page": page_no})

    return link


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


@bp.route("/", methods=["GET"])
@page("self:read")
def home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("web.login_page"))
    actor = current_actor()
    return render_template("home.html", user=current_user.user, actor=actor,
                           mfa_applies=security.mfa_applies(current_user.user),
                           meetings=_my_meetings(actor))


def _my_meetings(actor: Any) -> list[Any]:
    """Meetings this user attends or manages (dates and states only, no case data)."""
    from sqlalchemy import exists, or_, select

    from referral.meetings.models import Meeting, MeetingAttendee

    managed = actor.livcs_with("livc_chair", "livc_coordinator")
    attends = exists().where(MeetingAttendee.meeting_id == Meeting.id,
                             MeetingAttendee.user_id == actor.user_id)
    condition = or_(Meeting.livc_id.in_(managed), attends) if managed else attends
    return list(db.session().scalars(select(Meeting).where(condition)
                                     .order_by(Meeting.scheduled_at.desc()).limit(20)))


def _password_step(username: str, password: str) -> str:
    s = db.session()
    user = accounts.check_password(s, username, password)
    establish_session(user)
    if not security.mfa_applies(user):
        accounts.complete_login(s, user, "password")
        return url_for("web.home")
    # The session stays pending until the second factor (or the enrolment) is done.
    return url_for("web.login_mfa_page" if user.mfa_enrolled else "web.mfa_page")


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
            error = "Unknown username or wrong password."
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
    security.rotate_session("mfa_completed")


@bp.route("/login/code", methods=["GET", "POST"])
@page("session:manage")
@ratelimit.mfa_limit
def login_mfa_page() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("web.login_page"))
    if not current_user.mfa_pending:
        return redirect(url_for("web.home"))
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")[:20]
        try:
            run_in_transaction(lambda: _code_step(code))
            return redirect(url_for("web.home"))
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
        security.rotate_session("mfa_completed" if pending else "mfa_enrolled")
        return codes
    if action not in {"start", "recovery"} or (action == "recovery" and not user.mfa_enrolled):
        raise errors.BadRequest("Unknown action.")
    # Changing the factors: the password again and, once enrolled, a current code.
    mfa.reauthenticate(s, user, password, pending=pending, action=f"mfa:{action}")
    if user.mfa_enrolled:
        mfa.check_second_factor(s, user, code, "auth:step_up")
        security.rotate_session("step_up")
    if action == "start":
        mfa.begin_enrolment(s, actor, user)
        return None
    return mfa.new_recovery_codes(s, actor, user)


def _mfa_error(exc: errors.Problem) -> str:
    if isinstance(exc, errors.ValidationFailed) and "password" in exc.errors:
        return "Enter your password (it is needed to change your second factor)."
    if isinstance(exc, errors.ValidationFailed):
        return "That code does not match. Check the clock of your device and try again."
    if isinstance(exc, errors.Unauthorized):
        return WRONG_CODE
    if isinstance(exc, errors.TooManyRequests):
        return LOCKED
    if isinstance(exc, errors.Conflict):
        return "Start the enrolment first."
    return "That did not work; try again."


@bp.route("/mfa", methods=["GET", "POST"])
@page("session:manage")
@ratelimit.mfa_limit
def mfa_page() -> Any:
    if not current_user.is_authenticated or current_user.via_token:
        return redirect(url_for("web.login_page"))
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
            return redirect(url_for("web.mfa_page"))
        except errors.Problem as exc:
            error = _mfa_error(exc)
    user = _me()
    secret = mfa.pending_secret(db.session(), user)
    qr = mfa.qr_data_uri(mfa.provisioning_uri(user, secret)) if secret else None
    return _html("mfa.html", 422 if error else 200, error=error, user=user, secret=secret,
                 qr=qr, required=security.mfa_applies(user), pending=current_user.mfa_pending,
                 codes_left=mfa.recovery_codes_left(db.session(), user))


@bp.route("/logout", methods=["POST"])
@page("auth:logout")
def logout_page() -> Any:
    if current_user.is_authenticated:
        row = current_user.session_row
        run_in_transaction(lambda: accounts.logout(db.session(), current_actor(), row))
        logout_user()
    response = redirect(url_for("web.login_page"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
