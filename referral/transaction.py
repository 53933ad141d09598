"""One transaction per request.

Views and services only flush; this commits once (the audit events queued by
the request are appended to the chain inside that commit).  Any failure rolls
everything back.  A denial rolls the business transaction back and is then
logged in a transaction of its own, so probing leaves a trace and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from referral import db, errors
from referral.audit import chain

T = TypeVar("T")
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
    _deliver_after_commit(s)
    return result


def _deliver_after_commit(s: Any) -> None:
    """Send what the committed transaction queued; failure leaves it for ``jobs run``."""
    ids = s.info.pop("outbox_ids", None)
    if not ids:
        return
    from flask import current_app

    from referral.notifications.delivery import deliver

    fresh = db.database().sessionmaker()
    try:
        deliver(fresh, current_app.config, ids)
    except Exception:  # any failure: the business change is committed, jobs run retries
        fresh.rollback()
        log.warning("e-mail delivery deferred to jobs run")
    finally:
        fresh.close()


def _is_operational(exc: DBAPIError) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)


def denial(actor: Any, action: str, rule: str, **fields: Any) -> dict[str, Any]:
    """The audit fields a raised denial carries to :func:`log_denial`."""
    return {"actor": actor, "action": action, "outcome": "denied", "rule": rule, **fields}
