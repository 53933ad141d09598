"""Appending to the hash chain.

Events are collected on the session while a request works and appended in
``before_commit``: the head row is locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the write lock), each
event gets the next sequence number and ``hash = SHA-256(prev_hash ||
canonical(event))``, and the head moves on.  Taking the lock only just before
commit keeps the serialised section short; because it happens inside the same
transaction, there is no act without its log line and no log line without its
act.  A single head row (not a per-chain head) keeps the order total, which is
what an auditor needs; the cost is one row lock per committing transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import g, has_request_context, request
from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.core import clock
from referral.core.ledger.models import AuditEvent, AuditHead

GENESIS_HASH = bytes(32)
PENDING_KEY = "audit_pending"


@dataclass
class PendingEvent:
    action: str
    outcome: str
    actor_user_id: uuid.UUID | None
    actor_organisation_id: uuid.UUID | None
    object_type: str | None
    object_id: str | None
    case_id: uuid.UUID | None
    purpose: str | None
    rule: str | None
    request_id: str | None
    client_address: str | None


def _field(value: Any) -> bytes:
    if value is None:
        return b"-"
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    elif isinstance(value, uuid.UUID):
        text = value.hex
    else:
        text = str(value)
    raw = text.encode()
    return str(len(raw)).encode() + b":" + raw


def canonical(seq: int, at: datetime, ev: Any) -> bytes:
    """Length-prefixed fields: unambiguous and ~10x cheaper than json.dumps per row."""
    return b"|".join((
        _field(seq), _field(at), _field(ev.actor_user_id), _field(ev.actor_organisation_id),
        _field(ev.action), _field(ev.object_type), _field(ev.object_id), _field(ev.case_id),
        _field(ev.purpose), _field(ev.outcome), _field(ev.rule), _field(ev.request_id),
        _field(ev.client_address),
    ))


def chain_hash(prev_hash: bytes, seq: int, at: datetime, ev: Any) -> bytes:
    return hashlib.sha256(prev_hash + canonical(seq, at, ev)).digest()


def _request_facts() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    return g.get("request_id"), request.remote_addr


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    case_id: uuid.UUID | None = None,
    purpose: str | None = None,
    outcome: str = "allowed",
    rule: str | None = None,
) -> None:
    """Queue an event; it is appended to the chain when this transaction commits."""
    request_id, client = _request_facts()
    pending: list[PendingEvent] = session.info.setdefault(PENDING_KEY, [])
    pending.append(PendingEvent(
        action=action, outcome=outcome,
        actor_user_id=actor.user_id if actor else None,
        actor_organisation_id=actor.organisation_id if actor else None,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        case_id=case_id, purpose=purpose, rule=rule, request_id=request_id,
        client_address=client,
    ))


_HEAD = cast(Table, AuditHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()


def append_pending(session: Session) -> int:
    """Chain this transaction's queued events onto the head, under the head's row lock.

    Core statements, not ORM objects and a unit-of-work flush: the append runs on every
    audited request while the lock serialises them, and the ORM's bookkeeping doubled its
    cost.  The session's own changes are flushed first so that the lock is held for the
    append alone.
    """
    pending: list[PendingEvent] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return 0
    session.flush()
    conn = session.connection()
    seq, prev = conn.execute(_LOCK_HEAD).one()
    prev = bytes(prev)
    at = clock.now()
    rows = []
    for ev in pending:
        seq += 1
        digest = chain_hash(prev, seq, at, ev)
        rows.append({
            "seq": seq, "at": at, "actor_user_id": ev.actor_user_id,
            "actor_organisation_id": ev.actor_organisation_id, "action": ev.action,
            "object_type": ev.object_type, "object_id": ev.object_id, "case_id": ev.case_id,
            "purpose": ev.purpose, "outcome": ev.outcome, "rule": ev.rule,
            "request_id": ev.request_id, "client_address": ev.client_address,
            "prev_hash": prev, "hash": digest,
        })
        prev = digest
    # executemany (SQLAlchemy sends one multi-row INSERT) and a separate UPDATE: measured
    # against one statement with the head's UPDATE as a data-modifying CTE, which saves a
    # round trip but is not cached by SQLAlchemy and cost 2.5x the CPU for one event and
    # 6x for a list page's fifty.
    conn.execute(insert(_EVENTS), rows)
    conn.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, hash=prev))
    # For after-commit hooks (periodic signed checkpoints): this commit moved the chain.
    session.info["audit_appended"] = session.info.get("audit_appended", 0) + len(pending)
    return len(pending)


def install(session_factory: Any) -> None:
    """Append queued events in every commit of sessions made by this factory."""

    @event.listens_for(session_factory, "before_commit")
    def _before_commit(session: Session) -> None:
        append_pending(session)

    @event.listens_for(session_factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop("audit_appended", None)
