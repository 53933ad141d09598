"""The application factory: the one place where the features are wired together."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from referral import home
from referral.accounts import (
    admin_pages,
    mfa_api,  # noqa: F401 - adds the second-factor routes to accounts_api.bp
    sessions,
)
from referral.accounts import api as accounts_api
from referral.accounts import pages as account_pages
from referral.audit import api as audit_api
from referral.audit import pages as audit_pages
from referral.audit import publication
from referral.cases import api as cases_api
from referral.cases import calendar_api, pathways_api
from referral.cases import pages as case_pages
from referral.cases.notes import api as notes_api
from referral.cases.referrals import api as referrals_api
from referral.core import config as config_module
from referral.core import db, errors, logs
from referral.core.actor import current_actor
from referral.core.ledger import chain
from referral.core.transaction import denial, log_denial
from referral.dashboards import api as statistics_api
from referral.dashboards import pages as dashboard_pages
from referral.meetings import blueprints as meetings_blueprints
from referral.notifications import api as notifications_api
from referral.notifications import delivery
from referral.ops import cli, metrics
from referral.organisations import api as organisations_api
from referral.organisations import pages as organisation_pages
from referral.privacy import api as privacy_api
from referral.privacy import assurance_pages
from referral.privacy import pages as privacy_pages
from referral.web import health, i18n, labels, navigation, openapi, problems, ratelimit
from referral.web.pages import same_site_path

log = logging.getLogger("referral")

PROBLEM_MIMETYPE = "application/problem+json"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    settings = {**config_module.from_environment(), **(config or {})}
    resolved = config_module.resolve(settings, Path(app.instance_path))
    app.config.update(resolved)
    logs.configure(app.config)  # JSON lines with the request id (text in development)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=resolved["ENV"] == "production",
        SESSION_COOKIE_NAME="livc_session",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=resolved["MAX_CONTENT_LENGTH"],
        TEMPLATES_AUTO_RELOAD=resolved["ENV"] == "development",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]

    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Behind a reverse proxy: take the client address from X-Forwarded-For, for this many
        # trusted hops only (the audit trail and the rate limits depend on it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    database = db.Database(app.config["DATABASE_URL"])
    app.extensions["referral.db"] = database
    chain.install(database.sessionmaker)
    app.teardown_appcontext(db.close_session)

    _register_request_hooks(app)  # first: every later hook's audit events carry the id
    sessions.init_app(app)  # installs the actor loader into referral.core.actor
    delivery.init_app(app)  # registers e-mail delivery after each commit
    publication.init_app(app)  # signs and publishes a checkpoint now and then, after commits
    ratelimit.init_app(app)
    i18n.init_app(app)  # Dutch and English, Europe/Brussels
    labels.init_app(app)
    navigation.init_app(app)
    _register_error_handlers(app)
    _register_blueprints(app)
    metrics.init_app(app)  # /metrics for the configured scraper only
    cli.register(app)
    return app


# Every blueprint of the application, in one list: a feature is reachable once it is here.
BLUEPRINTS = (
    health.bp, openapi.bp, accounts_api.bp, organisations_api.bp, cases_api.bp,
    notes_api.bp, referrals_api.bp, notifications_api.bp, privacy_api.bp, audit_api.bp,
    home.bp, account_pages.bp, case_pages.bp, meetings_blueprints.bp, audit_pages.bp,
    calendar_api.bp, pathways_api.bp,
    admin_pages.bp, organisation_pages.bp,
    privacy_pages.bp, assurance_pages.bp,
    statistics_api.bp, dashboard_pages.bp,
)


def _register_blueprints(app: Flask) -> None:
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        # Always our own: the request id goes into the hash chain, and a client that could
        # choose it could stamp its acts with another request's id.  A proxy's or client's
        # correlation id is answered back as X-Client-Request-ID, never logged as ours.
        g.request_id = secrets.token_hex(8)
        incoming = request.headers.get("X-Request-ID", "")
        if incoming and len(incoming) <= 64 and incoming.replace("-", "").isalnum():
            g.client_request_id = incoming

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h["X-Request-ID"] = g.get("request_id", "")
        if g.get("client_request_id"):
            h["X-Client-Request-ID"] = g.client_request_id
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if response.status_code == 204:
            h.pop("Content-Type", None)  # nothing to type
        if app.config["ENV"] == "production":
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        # Nothing this application serves may be kept by a browser or a proxy cache:
        # almost every response carries case data or account data.
        if not request.path.startswith("/static/"):
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best in {
        "application/json", PROBLEM_MIMETYPE}


def problem_response(problem: errors.Problem) -> Response:
    response = jsonify(problem.body())
    response.status_code = problem.status
    response.mimetype = PROBLEM_MIMETYPE
    response.headers.update(problem.headers)
    return response


def _html_error(problem: errors.Problem) -> Response:
    # A page in the user's language: the rule or guard in plain words, never a stack trace.
    html = render_template("error.html", status=problem.status, title=problems.title(
        problem.status), detail=problems.describe(problem), rule=getattr(problem, "rule", None),
        retry_after=problem.headers.get("Retry-After"), back=_reload_target())
    response = Response(html, status=problem.status, mimetype="text/html")
    response.headers.update(problem.headers)
    return response


def _reload_target() -> str | None:
    if request.method == "GET":
        return request.full_path
    return same_site_path(request.form.get("next", "")) if request.form else None


_HTTP_TO_PROBLEM: dict[int, type[errors.Problem]] = {
    400: errors.BadRequest, 401: errors.Unauthorized, 404: errors.NotFound,
    409: errors.Conflict, 413: errors.PayloadTooLarge, 415: errors.UnsupportedMediaType,
}


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.Problem)
    def _problem(exc: errors.Problem) -> Response:
        if _wants_problem():
            return problem_response(exc)
        return _html_error(exc)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        # A refused cross-site attempt is an act on the ledger like any other denial.
        actor = current_actor()
        problem = errors.Forbidden(
            "The CSRF token is missing or invalid; send X-CSRF-Token (GET /api/v1/auth/csrf).",
            rule="csrf_token_required", _audit=denial(
                None if actor.is_anonymous else actor, "csrf:refused", "csrf_token_required",
                object_type="endpoint", object_id=(request.endpoint or "")[:64]))
        db.session().rollback()  # nothing of this request stands; frees SQLite's write lock
        log_denial(problem)
        return _problem(problem)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        cls = _HTTP_TO_PROBLEM.get(status)
        if cls is not None:
            problem: errors.Problem = cls(exc.description)
        else:
            problem = errors.Problem(exc.description)
            problem.status, problem.title = status, exc.name
            problem.slug = exc.name.lower().replace(" ", "-")
        if status == 405 and isinstance(exc.valid_methods, list | tuple | set):  # type: ignore[attr-defined]
            problem.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return _problem(problem)

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError) -> Response:
        # Unreachable, restarting or locked beyond the busy timeout: retryable, not a bug.
        log.warning("database unavailable in request %s", g.get("request_id"))
        return _problem(errors.ServiceUnavailable("The database is not available; retry."))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Log the type and request id only: exception text may quote personal data.
        log.error("unhandled %s in request %s", type(exc).__name__, g.get("request_id"),
                  exc_info=app.config["ENV"] == "development")
        problem = errors.Problem(
            f"Something went wrong on our side (request {g.get('request_id', '-')}).")
        return _problem(problem)
