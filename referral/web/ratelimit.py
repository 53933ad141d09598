"""Rate limits per client address and per user (Flask-Limiter), rendered as 429 problems.

Storage: in memory by default (one process); ``REFERRAL_RATE_LIMIT_STORAGE=redis://host:6379/0``
(``RATE_LIMIT_STORAGE``) shares the counters between instances.  Windows are fixed, so a
limit always ends: 429 carries ``Retry-After``.  If the storage fails the limiter falls
back to memory rather than failing requests.  The first breach per key and limit in a
minute is written to the audit log (``ratelimit:exceeded``); later ones in that minute are
logged only, so an attack cannot flood the hash chain.

Apply a limit *below* ``@route`` (it must wrap the view itself)::

    @route(bp, f"{CASE}/reidentify", "POST", action="case:reidentify", ...,
           statuses=(429,))
    @ratelimit.reidentify_limit
    def reidentify(case_id, body): ...

The one ``limiter`` serves every app of the process; each :func:`init_app` gives it
that app's storage (one app per process in production; tests create them in turn).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse

from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.ledger import chain

log = logging.getLogger("referral.ratelimit")

F = TypeVar("F", bound=Callable[..., Any])

DEFAULTS: dict[str, Any] = {
    "RATE_LIMIT_STORAGE": "memory://",
    # Per client address, shared by the API and the HTML form.
    "RATE_LIMIT_LOGIN": "10 per minute;100 per hour",
    # Per user: codes entered for step-up and enrolment.
    "RATE_LIMIT_MFA": "10 per 5 minutes",
    # Per user: personal API tokens created.
    "RATE_LIMIT_TOKENS": "10 per hour",
    # Per user: cases registered (API and page).  Each registration answers whether the
    # person is known elsewhere: bounded, it is no oracle for guessed national numbers.
    "RATE_LIMIT_REGISTRATIONS": "20 per hour;60 per day",
    # Per user: feedback sheets drafted and redrafted.  The secrecy check names the
    # organisation whose note a text reproduces: bounded, it is no way to test guesses.
    "RATE_LIMIT_FEEDBACK": "20 per hour",
}
_AUDIT_ONCE = parse("1 per minute")


def client_address() -> str:
    """The peer address (behind a reverse proxy, configure ProxyFix so this is the client)."""
    return request.remote_addr or "unknown"


def user_key() -> str:

    actor = current_actor()
    return f"user:{actor.user_id}" if actor.user_id else f"addr:{client_address()}"


limiter = Limiter(key_func=client_address, strategy="fixed-window", headers_enabled=False,
                  swallow_errors=False, fail_on_first_breach=True)


def _config(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def _below_route(decorator: Any) -> Callable[[F], F]:
    def apply(view: F) -> F:
        if hasattr(view, "route_spec"):
            raise TypeError(f"put the rate limit below @route on {view.__name__}: it must "
                            "wrap the view itself or it is never checked")
        limited: F = decorator(view)
        return limited

    return apply


def per_user(limit: str | Callable[[], str], scope: str,
             methods: list[str] | None = None) -> Callable[[F], F]:
    """A limit per authenticated user (by address when anonymous), shared by every view
    decorated with the same ``scope`` (``methods``: only these HTTP methods count)."""
    return _below_route(limiter.shared_limit(limit, scope=scope, key_func=user_key,
                                             methods=methods))


def per_address(limit: str | Callable[[], str], scope: str,
                methods: list[str] | None = None) -> Callable[[F], F]:
    return _below_route(limiter.shared_limit(limit, scope=scope, key_func=client_address,
                                             methods=methods))


login_limit = per_address(_config("RATE_LIMIT_LOGIN"), "login", methods=["POST"])
mfa_limit = per_user(_config("RATE_LIMIT_MFA"), "mfa", methods=["POST"])
token_limit = per_user(_config("RATE_LIMIT_TOKENS"), "tokens")
registration_limit = per_user(_config("RATE_LIMIT_REGISTRATIONS"), "registrations",
                              methods=["POST"])
feedback_limit = per_user(_config("RATE_LIMIT_FEEDBACK"), "feedback")
# Re-identification: REIDENTIFY_PER_HOUR per user per hour (default 30).
reidentify_limit = per_user(lambda: f"{current_app.config['REIDENTIFY_PER_HOUR']} per hour",
                            "reidentify")


def _retry_after() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def _audit_breach(exc: RateLimitExceeded) -> None:
    current = limiter.current_limit
    key = current.key if current is not None else request.path
    if not limiter.limiter.hit(_AUDIT_ONCE, "audit-once", key):
        log.warning("rate limit %s exceeded again on %s", exc.limit.limit, request.endpoint)
        return

    actor = current_actor()
    db.session().rollback()  # the request failed; on SQLite this frees the write lock
    s = db.database().sessionmaker()
    try:
        chain.record(s, None if actor.is_anonymous else actor, "ratelimit:exceeded",
                     object_type="endpoint", object_id=(request.endpoint or "")[:64],
                     outcome="denied", rule="rate_limit", purpose=str(exc.limit.limit))
        s.commit()
    finally:
        s.close()


def init_app(app: Flask) -> None:
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATE_LIMIT_STORAGE"]
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Any:
        retry = _retry_after()
        _audit_breach(exc)
        problem = errors.TooManyRequests(
            f"Too many requests ({exc.limit.limit}); try again in {retry} s.", retry)
        # The app's Problem handler renders it (problem+json, or the HTML error page).
        response = current_app.make_response(current_app.handle_user_exception(problem))
        response.headers.update(problem.headers)
        return response


__all__ = [
    "feedback_limit",
    "init_app",
    "limiter",
    "login_limit",
    "mfa_limit",
    "per_address",
    "per_user",
    "registration_limit",
    "reidentify_limit",
    "token_limit",
]
