"""Notes (each in its organisation's secrecy compartment) and disclosures of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from policies.vocabulary import DISCLOSURE_AUDIENCES, NOTE_COMPARTMENTS
from referral.core.columns import Base, enum_check, now_column, uuid_pk


class Note(Base):
    """A note never changes compartment; sharing it is a separate Disclosure."""

    __tablename__ = "notes"
    __table_args__ = (
        enum_check("compartment", NOTE_COMPARTMENTS),
        Index("ix_notes_case_org", "case_id", "author_organisation_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    author_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    author_organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id")
    )
    compartment: Mapped[str] = mapped_column(String(20))
    # AES-GCM under the case's data key; NULL once the case is purged.
    body_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = now_column()


class Disclosure(Base):
    """The recorded act of sharing one note with an audience, for a purpose, on a basis."""

    __tablename__ = "disclosures"
    __table_args__ = (
        enum_check("audience", DISCLOSURE_AUDIENCES),
        CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_user_id IS NULL)", name="revocation_recorded"
        ),
        Index("ix_disclosures_note_open", "note_id", "revoked_at"),
        Index("ix_disclosures_case_audience", "case_id", "audience", "revoked_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    note_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("notes.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    audience: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[str] = mapped_column(String(300))
    disclosed_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    disclosed_by_organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id")
    )
    created_at: Mapped[datetime] = now_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
