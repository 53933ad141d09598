"""The auditor's tables: signed checkpoints of the chain and reviews of break-glass use."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from referral.core.columns import Base, now_column, uuid_pk


class AuditCheckpoint(Base):
    """A signed statement of the chain head (sequence, hash, time), exportable."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime]
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    public_key_id: Mapped[str] = mapped_column(String(64))


class BreakGlassReview(Base):
    """An auditor's review of one break-glass use."""

    __tablename__ = "break_glass_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    break_glass_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("break_glass.id"))
    reviewer_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = now_column()
