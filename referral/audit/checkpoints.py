"""Signed checkpoints: an Ed25519 signature over the chain head (sequence, hash, time).

A checkpoint exported and kept outside the database (by the DPO, a partner, a
notary) pins the log: whoever rewrites or truncates the chain afterwards cannot
produce an event with the checkpointed hash at the checkpointed sequence
number, nor sign a new checkpoint without the private key.

The signed message is ASCII, so anyone can verify it with any Ed25519 tool::

    livc-audit-checkpoint|v1|<seq>|<hash, lowercase hex>|<time, YYYY-MM-DDTHH:MM:SS.ffffffZ>
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.audit.models import AuditCheckpoint
from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.models import AuditHead

ALGORITHM = "Ed25519"
MESSAGE_PREFIX = b"livc-audit-checkpoint|v1|"


class CheckpointLike(Protocol):
    """What a signature covers; an :class:`AuditCheckpoint` or a row with these columns."""

    @property
    def seq(self) -> int: ...
    @property
    def hash(self) -> bytes: ...
    @property
    def at(self) -> datetime: ...
    @property
    def signature(self) -> bytes: ...
    @property
    def public_key_id(self) -> str: ...


def _b64decode_urlsafe(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    raw = raw.strip()
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not urlsafe base64") from None


def signing_key_from_config(value: str | bytes) -> Ed25519PrivateKey:
    """``AUDIT_SIGNING_KEY``: urlsafe base64 of a raw 32-byte Ed25519 private key."""
    raw = _b64decode_urlsafe(value)
    if len(raw) != 32:
        raise ValueError("AUDIT_SIGNING_KEY must be urlsafe base64 of 32 raw bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def raw_public_key(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_id(pub: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public_key(pub)).hexdigest()[:16]


def public_key_from_base64(value: str) -> Ed25519PublicKey:
    raw = _b64decode_urlsafe(value.replace("+", "-").replace("/", "_"))
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 raw bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def known_public_keys(app_config: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """Key id → public key: the current signing key's, and retired ones.

    Retired keys (after a rotation) are listed in the optional setting
    ``AUDIT_PREVIOUS_PUBLIC_KEYS`` (``REFERRAL_AUDIT_PREVIOUS_PUBLIC_KEYS``):
    base64 raw public keys separated by commas.
    """
    keys: list[Ed25519PublicKey] = [
        signing_key_from_config(app_config["AUDIT_SIGNING_KEY"]).public_key()]
    for item in str(app_config.get("AUDIT_PREVIOUS_PUBLIC_KEYS") or "").split(","):
        if item.strip():
            keys.append(public_key_from_base64(item.strip()))
    return {public_key_id(k): k for k in keys}


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def checkpoint_message(seq: int, digest: bytes, at: datetime) -> bytes:
    """The exact bytes that are signed."""
    return (MESSAGE_PREFIX + str(seq).encode() + b"|" + bytes(digest).hex().encode() + b"|"
            + format_time(at).encode())


def verify_checkpoint_signature(cp: CheckpointLike, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(bytes(cp.signature), checkpoint_message(cp.seq, cp.hash, cp.at))
    except InvalidSignature:
        return False
    return True


def create_checkpoint(session: Session, app_config: Mapping[str, Any], *,
                      actor: Actor | None = None) -> AuditCheckpoint:
    """Sign the current head and store the checkpoint (flushed, not committed).

    The ``audit:checkpoint`` event is appended at commit, after the head that
    was signed: the checkpoint covers everything before its own event.
    """
    key = signing_key_from_config(app_config["AUDIT_SIGNING_KEY"])
    # Core, not the ORM: appends move the head with Core statements, so an AuditHead object
    # held by this session could be stale.
    head_t = AuditHead.__table__
    head = session.execute(select(head_t.c.seq, head_t.c.hash).where(head_t.c.id == 1)).one()
    at = clock.now()
    seq, digest = head.seq, bytes(head.hash)
    cp = AuditCheckpoint(seq=seq, hash=digest, at=at,
                         signature=key.sign(checkpoint_message(seq, digest, at)),
                         public_key_id=public_key_id(key.public_key()))
    session.add(cp)
    session.flush()
    chain.record(session, actor, "audit:checkpoint", object_type="audit_checkpoint",
                 object_id=cp.id, purpose=f"signed checkpoint of seq {seq}")
    return cp


def checkpoint_summary(cp: CheckpointLike) -> dict[str, Any]:
    """The public facts of a checkpoint (hash hex, signature base64)."""
    return {"seq": cp.seq, "hash": bytes(cp.hash).hex(), "at": format_time(cp.at),
            "signature": base64.b64encode(bytes(cp.signature)).decode(),
            "public_key_id": cp.public_key_id}


def export_checkpoint(cp: CheckpointLike, public_key: Ed25519PublicKey | None) -> dict[str, Any]:
    """Everything needed to verify the checkpoint offline, as JSON-ready values."""
    return {
        "algorithm": ALGORITHM,
        **checkpoint_summary(cp),
        "public_key": (base64.b64encode(raw_public_key(public_key)).decode()
                       if public_key is not None else None),
        "message": checkpoint_message(cp.seq, cp.hash, cp.at).decode(),
    }


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.at.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_checkpoints(session: Session, newest_first: bool = True) -> list[AuditCheckpoint]:
    order = (AuditCheckpoint.seq.desc(), AuditCheckpoint.at.desc()) if newest_first else (
        AuditCheckpoint.seq, AuditCheckpoint.at)
    return list(session.scalars(select(AuditCheckpoint).order_by(*order)))
