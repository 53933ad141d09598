"""E-mail delivery of the outbox, after commit and retried by ``jobs run``.

The outbox row is written in the business transaction; sending happens only
after that transaction committed, in a transaction of its own, so a failed
delivery never rolls back the referral (or anything else) that caused it.
E-mails carry no case content: a fixed sentence and a link.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral.accounts.models import User
from referral.core import clock, db, transaction
from referral.core.ledger import chain
from referral.notifications.models import OutboxMessage

MAX_ATTEMPTS = 8
log = logging.getLogger("referral")


def _tls_context(config: Any) -> ssl.SSLContext:
    # Verified against the system's CAs, or a private CA for an internal relay.
    return ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)


def _security(config: Any) -> str:
    """``starttls`` (the default in production), ``tls`` (implicit, port 465) or ``none``."""
    chosen = config.get("SMTP_SECURITY")
    if chosen:
        return str(chosen)
    return "starttls" if config.get("ENV") == "production" else "none"


def _connect(config: Any) -> smtplib.SMTP:
    host, security = str(config["SMTP_HOST"]), _security(config)
    port = int(config.get("SMTP_PORT") or (465 if security == "tls" else 25))
    if security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=10, context=_tls_context(config))
    smtp = smtplib.SMTP(host, port, timeout=10)
    if security == "starttls":
        try:
            smtp.ehlo()
            # No STARTTLS on offer: refuse rather than send the login and mail in clear.
            smtp.starttls(context=_tls_context(config))
            smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
    return smtp


def _send(config: Any, to: str, message: str, link: str | None) -> None:
    mail = EmailMessage()
    mail["From"] = config.get("SMTP_FROM", "livc-referral@localhost")
    mail["To"] = to
    mail["Subject"] = "LIVC referral: " + message.rstrip(".")
    base = str(config.get("BASE_URL", "http://127.0.0.1:5000")).rstrip("/")
    mail.set_content(f"{message}\n\nLog in to see it: {base}{link or '/'}\n\n"
                     "This message contains no case information.")
    with _connect(config) as smtp:
        if config.get("SMTP_USERNAME"):
            smtp.login(str(config["SMTP_USERNAME"]), str(config.get("SMTP_PASSWORD") or ""))
        smtp.send_message(mail)


def deliver(s: Session, config: Any, ids: Iterable[uuid.UUID] | None = None,
            limit: int = 200) -> tuple[int, int]:
    """Try pending e-mails (these ids, or all due); returns (delivered, failed)."""
    if not config.get("SMTP_HOST"):
        return 0, 0
    now = clock.now()
    stmt = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None),
                                       OutboxMessage.attempts < MAX_ATTEMPTS)
    stmt = stmt.where(OutboxMessage.id.in_(list(ids))) if ids is not None else stmt.where(
        OutboxMessage.next_attempt_at <= now)
    delivered = failed = 0
    for row in s.scalars(stmt.order_by(OutboxMessage.created_at).limit(limit)):
        user = s.get(User, uuid.UUID(str(row.payload["user_id"])))
        row.attempts += 1
        if user is None or not user.email or not user.active:
            row.delivered_at, row.last_error = now, "no address: skipped"
            continue
        try:
            _send(config, user.email, str(row.payload["message"]),
                  row.payload.get("link"))  # type: ignore[arg-type]
        except (OSError, smtplib.SMTPException) as exc:
            # Back off exponentially; the error names its type, never the address or text.
            row.last_error = type(exc).__name__
            row.next_attempt_at = now + timedelta(minutes=2 ** min(row.attempts, 10))
            failed += 1
            log.warning("e-mail %s not delivered (%s, attempt %d); retried by jobs run",
                        row.id, row.last_error, row.attempts)
        else:
            row.delivered_at = now
            delivered += 1
    if delivered or failed:
        chain.record(s, None, "notification:deliver",
                     purpose=f"delivered {delivered}, failed {failed}")
    s.commit()
    return delivered, failed


def deliver_after_commit(s: Session) -> None:
    """Send what the committed transaction queued; failure leaves it for ``jobs run``."""
    ids = s.info.pop("outbox_ids", None)
    if not ids:
        return
    fresh = db.database().sessionmaker()
    try:
        deliver(fresh, current_app.config, ids)
    except Exception:  # any failure: the business change is committed, jobs run retries
        fresh.rollback()
        log.warning("e-mail delivery deferred to jobs run")
    finally:
        fresh.close()


def init_app(app: Flask) -> None:
    transaction.after_commit(app, deliver_after_commit)
