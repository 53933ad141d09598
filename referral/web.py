"""Server-rendered pages (work without JavaScript; forms carry the CSRF token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from referral import db, errors
from referral.accounts import services as accounts
from referral.accounts.api import establish_session
from referral.security import current_actor
from referral.transaction import run_in_transaction

bp = Blueprint("web", __name__)


def page(action: str) -> Any:
    """Declare a page's policy action (checked by the route-walking test)."""

    def decorator(view: Any) -> Any:
        view.policy_action = action
        return view

    return decorator


@bp.route("/", methods=["GET"])
@page("self:read")
def home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("web.login_page"))
    return render_template("home.html", user=current_user.user, actor=current_actor())


@bp.route("/login", methods=["GET", "POST"])
@page("public:login_page")
def login_page() -> Any:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:80]
        password = request.form.get("password", "")[:256]
        try:
            run_in_transaction(
                lambda: establish_session(accounts.login(db.session(), username, password)))
            return redirect(url_for("web.home"))
        except errors.Unauthorized:
            error = "Unknown username or wrong password."
        except errors.TooManyRequests:
            error = "Too many failed attempts. Wait a few minutes and try again."
    status = 401 if error else 200
    return Response(render_template("login.html", error=error), status=status)


@bp.route("/logout", methods=["POST"])
@page("auth:logout")
def logout_page() -> Any:
    if current_user.is_authenticated:
        row = current_user.session_row
        run_in_transaction(lambda: accounts.logout(db.session(), current_actor(), row))
        logout_user()
    return redirect(url_for("web.login_page"))
