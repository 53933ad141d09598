"""Checkpoints published outside the database, and signed often.

A checkpoint kept only in the database the application writes to does not stop a rogue
administrator of that database: edit a row, re-hash the rest, sign nothing new — or delete
the last events and rewind the head.  So every signed checkpoint is also **published** as a
file in a directory the database account cannot rewrite (``REFERRAL_CHECKPOINT_DIR``: an
append-only directory, a WORM mount, a directory that another account ships elsewhere;
``docs/OPERATIONS.md``), and ``verify`` compares the chain with those files too: a published
checkpoint beyond the last event is a truncation, one whose event has another hash a rewrite.

Files are created exclusively (never overwritten) as ``checkpoint-<seq>-<time>.json``, with
everything needed to verify them offline.  Each application instance signs one checkpoint at
least every ``AUDIT_CHECKPOINT_INTERVAL`` seconds while it commits audited work (after the
commit, in a transaction of its own; 0 switches this off), besides ``jobs run``.

Without ``REFERRAL_CHECKPOINT_DIR`` the directory is ``<instance>/checkpoints/<database>``,
one per database URL, so that a development database and a benchmark's do not mix.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.audit.checkpoints import CheckpointLike, create_checkpoint, export_checkpoint
from referral.audit.models import AuditCheckpoint
from referral.core import clock, db, transaction

log = logging.getLogger("referral")
_LAST_SIGNED = "referral.checkpoint_last_signed"


def directory(app: Flask) -> Path:
    configured = app.config.get("CHECKPOINT_DIR")
    if configured:
        return Path(configured)
    url = str(app.config["DATABASE_URL"]).encode()
    return Path(app.instance_path) / "checkpoints" / hashlib.sha256(url).hexdigest()[:16]


def publish(cp: CheckpointLike, target: Path) -> Path | None:
    """Write the checkpoint as a new file (exclusive create); None if it exists already."""
    target.mkdir(parents=True, exist_ok=True)
    stamp = cp.at.strftime("%Y%m%dT%H%M%S%fZ")
    path = target / f"checkpoint-{cp.seq:012d}-{stamp}.json"
    try:
        with path.open("x", encoding="utf-8") as out:
            json.dump(export_checkpoint(cp, None), out, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
    except FileExistsError:
        return None
    return path


@dataclass(frozen=True)
class Published:
    seq: int
    hash: bytes
    at: datetime
    signature: bytes
    public_key_id: str


def read_published(source: Path) -> list[Published]:
    """Every published checkpoint in ``source``; a file that does not parse is skipped with
    a warning (it proves nothing either way)."""
    found = []
    for path in sorted(source.glob("checkpoint-*.json")) if source.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Published(
                seq=int(data["seq"]), hash=bytes.fromhex(data["hash"]),
                at=datetime.strptime(data["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=clock.now().tzinfo),
                signature=base64.b64decode(data["signature"]),
                public_key_id=str(data["public_key_id"])))
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable published checkpoint %s", path.name)
    return found


def published_for_current_app() -> list[Published]:
    return read_published(directory(current_app)) if has_app_context() else []


def sign_and_publish(s: Session, app: Flask, actor: Actor | None = None) -> AuditCheckpoint:
    """Sign the head (flushed in ``s``) and publish it; the caller commits."""
    cp = create_checkpoint(s, app.config, actor=actor)
    publish(cp, directory(app))
    return cp


def _checkpoint_now_and_then(s: Session) -> None:
    """After a commit that appended audit events: sign and publish a checkpoint if this
    instance has not for ``AUDIT_CHECKPOINT_INTERVAL`` seconds."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interval = float(app.config.get("AUDIT_CHECKPOINT_INTERVAL") or 0)
    if interval <= 0 or not s.info.pop("audit_appended", 0):
        return
    state: dict[str, Any] = app.extensions.setdefault(
        _LAST_SIGNED, {"at": None, "lock": threading.Lock()})
    now = clock.now()
    if state["at"] is not None and (now - state["at"]).total_seconds() < interval:
        return
    if not state["lock"].acquire(blocking=False):
        return
    try:
        state["at"] = now
        fresh = db.database().sessionmaker()
        try:
            sign_and_publish(fresh, app)
            fresh.commit()
        except Exception:  # the business change is committed; jobs run signs later
            fresh.rollback()
            log.warning("periodic audit checkpoint deferred")
        finally:
            fresh.close()
    finally:
        state["lock"].release()


def init_app(app: Flask) -> None:
    app.config.setdefault("AUDIT_CHECKPOINT_INTERVAL", 60)
    transaction.after_commit(app, _checkpoint_now_and_then)
