"""In-app notifications: short, content-free messages with a link."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.accounts.models import RoleAssignment, User
from referral.core import clock, errors
from referral.core.db import paginate
from referral.core.ledger import chain
from referral.notifications.models import Notification, OutboxMessage


def notify_organisation(s: Session, organisation_id: uuid.UUID, kind: str, message: str,
                        link: str | None, roles: tuple[str, ...] = ("reference_person",)) -> int:
    """Notify the organisation's users holding ``roles`` (its inbox), and queue e-mail."""
    users = list(s.scalars(
        select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.organisation_id == organisation_id, User.active.is_(True),
               RoleAssignment.role.in_(roles)).distinct()))
    for user_id in users:
        notify_user(s, user_id, kind, message, link)
    return len(users)


def notify_user(s: Session, user_id: uuid.UUID, kind: str, message: str, link: str | None
                ) -> None:
    """Notify one user in-app, and queue the same content-free message by e-mail."""
    s.add(Notification(user_id=user_id, kind=kind, message=message, link=link))
    if current_app.config.get("SMTP_HOST"):
        # E-mail carries no case content: the kind, the fixed message and a link.
        row = OutboxMessage(id=uuid.uuid4(), channel="email", payload={
            "user_id": str(user_id), "kind": kind, "message": message, "link": link})
        s.add(row)
        # Delivered right after this transaction commits (an after-commit hook).
        s.info.setdefault("outbox_ids", []).append(row.id)


def list_for(s: Session, actor: Actor, unread_only: bool, page: int, per_page: int
             ) -> dict[str, Any]:
    stmt = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows, total = paginate(s, stmt, page, per_page, Notification.created_at.desc())
    return {"items": list(rows), "page": page, "per_page": per_page, "total": total}


def mark_read(s: Session, actor: Actor, notification_id: uuid.UUID) -> Notification:
    row = s.get(Notification, notification_id)
    if row is None or row.user_id != actor.user_id:
        raise errors.NotFound("No such notification.")
    if row.read_at is None:
        row.read_at = clock.now()
    return row


def notify_livc(s: Session, livc_id: uuid.UUID, kind: str, message: str, link: str | None
                ) -> int:
    """Notify a LIVC's chair and coordinator (the LIVC's inbox), and queue e-mail."""
    users = list(s.scalars(
        select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.active.is_(True), RoleAssignment.livc_id == livc_id,
               RoleAssignment.role.in_(("livc_chair", "livc_coordinator"))).distinct()))
    for user_id in users:
        notify_user(s, user_id, kind, message, link)
    return len(users)


RHYTHMS = ("daily", "weekly", "off")


def digest_setting(s: Session, actor: Actor) -> dict[str, Any]:
    user = s.get(User, actor.user_id)
    if user is None:
        raise errors.NotFound("No such user.")
    return {"rhythm": user.digest_rhythm, "last_sent_at": user.digest_sent_at}


def set_digest_rhythm(s: Session, actor: Actor, rhythm: str) -> dict[str, Any]:
    user = s.get(User, actor.user_id)
    if user is None:
        raise errors.NotFound("No such user.")
    if rhythm not in RHYTHMS:
        raise errors.field_error("rhythm", "daily, weekly or off.")
    user.digest_rhythm = rhythm
    chain.record(s, actor, "self:digest_rhythm", object_type="user", object_id=user.id,
                 purpose=rhythm)
    return digest_setting(s, actor)
