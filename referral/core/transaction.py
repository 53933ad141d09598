"""One transaction per request.

Views and services only flush; this commits once (the audit events queued by
the request are appended to the chain inside that commit).  Any failure rolls
everything back.  A denial rolls the business transaction back and is then
logged in a transaction of its own, so probing leaves a trace and nothing else.
Work that belongs after the commit (e-mail) is registered by its feature with
:func:`after_commit`; this module names no feature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from referral.core import db, errors
from referral.core.ledger import chain

T = TypeVar("T")
AfterCommitHook = Callable[[Session], None]
_HOOKS = "referral.after_commit"
log = logging.getLogger("referral")


def log_denial(exc: errors.Problem) -> None:
    denial = exc.extra.pop("_audit", None)
    if denial is None:
        return
    s = db.database().sessionmaker()
    try:
        chain.record(s, **denial)
        s.commit()
    finally:
        s.close()


def run_in_transaction(fn: Callable[[], T]) -> T:
    s = db.session()
    try:
        result = fn()
        s.commit()
    except errors.Problem as exc:
        s.rollback()
        log_denial(exc)
        raise
    except StaleDataError:
        s.rollback()
        raise errors.Conflict(
            "Someone else changed this in the meantime; reload and try again."
        ) from None
    except IntegrityError:
        s.rollback()
        raise errors.Conflict("This conflicts with data that already exists.") from None
    except DBAPIError as exc:
        s.rollback()
        if exc.connection_invalidated or _is_operational(exc):
            raise errors.ServiceUnavailable("The database is not available.") from None
        raise
    except BaseException:
        s.rollback()
        raise
    _run_after_commit(s)
    return result


def after_commit(app: Flask, hook: AfterCommitHook) -> None:
    """Run ``hook(session)`` after each request transaction of ``app`` commits.

    For work that must not roll back the business change when it fails (sending e-mail):
    the hook gets the committed session (its ``info`` carries what the request queued) and
    must catch its own failures.  Features register their hooks when the app is built.
    """
    hooks: list[AfterCommitHook] = app.extensions.setdefault(_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def _run_after_commit(s: Session) -> None:
    for hook in current_app.extensions.get(_HOOKS, ()):
        hook(s)


def _is_operational(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError)


def denial(actor: Any, action: str, rule: str, **fields: Any) -> dict[str, Any]:
    """The audit fields a raised denial carries to :func:`log_denial`."""
    return {"actor": actor, "action": action, "outcome": "denied", "rule": rule, **fields}
