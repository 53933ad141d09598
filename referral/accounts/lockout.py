"""Throttling per account: exponential back-off after five failures, never permanent.

Wrong passwords and wrong second-factor codes count alike; each failure and each
lockout is audited.  Per client address, Flask-Limiter adds its own limits
(``referral.ratelimit``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from referral.accounts import sessions
from referral.accounts.models import LoginThrottle, User
from referral.core import clock, errors
from referral.core.ledger import chain

LOCKOUT_AFTER = 5
LOCKOUT_MAX_SECONDS = 15 * 60


def _backoff_seconds(failures: int) -> int:
    """Exponential back-off after the fifth failure, capped: never a permanent lockout."""
    return int(min(LOCKOUT_MAX_SECONDS, 2 ** (failures - LOCKOUT_AFTER + 1)))


def refuse_if_locked(s: Session, user: User, action: str) -> None:
    """429 with Retry-After while the back-off runs (audited); never permanent."""
    now = clock.now()
    if user.locked_until is not None and user.locked_until > now:
        chain.record(s, sessions.actor_for(user), action, object_type="user",
                     object_id=user.id, outcome="denied", rule="account_locked")
        s.commit()
        retry = int((user.locked_until - now).total_seconds()) + 1
        raise errors.TooManyRequests("Too many failed logins; try again later.", retry)


def register_failure(s: Session, user: User, action: str, rule: str) -> None:
    """Count a failed password or second factor, start the back-off after the fifth, and
    commit: the failure counts even though the request fails."""
    user.failed_logins += 1
    actor = sessions.actor_for(user)
    chain.record(s, actor, action, object_type="user", object_id=user.id, outcome="denied",
                 rule=rule)
    if user.failed_logins >= LOCKOUT_AFTER:
        seconds = _backoff_seconds(user.failed_logins)
        user.locked_until = clock.now() + timedelta(seconds=seconds)
        chain.record(s, actor, "auth:lockout", object_type="user", object_id=user.id,
                     outcome="denied", rule="too_many_failures",
                     purpose=f"{user.failed_logins} failures; locked for {seconds} s")
    s.commit()


def _username_key(username: str) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, username.strip().casefold().encode(), hashlib.sha256).digest()


def _throttle(s: Session, username: str) -> LoginThrottle:
    key = _username_key(username)
    row = s.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(username_key=key, failed_logins=0)
        s.add(row)
    return row


def refuse_unknown_if_locked(s: Session, username: str) -> None:
    """The same 429 as :func:`refuse_if_locked`, for a username that names no account."""
    row = s.get(LoginThrottle, _username_key(username))
    now = clock.now()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        chain.record(s, None, "auth:login", outcome="denied", rule="account_locked")
        s.commit()
        retry = int((row.locked_until - now).total_seconds()) + 1
        raise errors.TooManyRequests("Too many failed logins; try again later.", retry)


def register_unknown_failure(s: Session, username: str) -> None:
    """Count a failed login for a username that names no account, as for one that does."""
    row = _throttle(s, username)
    row.failed_logins += 1
    row.updated_at = clock.now()
    chain.record(s, None, "auth:login", outcome="denied", rule="bad_credentials")
    if row.failed_logins >= LOCKOUT_AFTER:
        seconds = _backoff_seconds(row.failed_logins)
        row.locked_until = clock.now() + timedelta(seconds=seconds)
        chain.record(s, None, "auth:lockout", outcome="denied", rule="too_many_failures",
                     purpose=f"{row.failed_logins} failures; locked for {seconds} s")
    s.commit()
