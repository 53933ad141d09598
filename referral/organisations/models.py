"""Organisations and LIVCs (with their member organisations and invitations)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from policies.vocabulary import ORGANISATION_KINDS
from referral.core.columns import Base, enum_check, now_column, uuid_pk


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (enum_check("kind", ORGANISATION_KINDS),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Livc(Base):
    __tablename__ = "livcs"
    __table_args__ = (
        CheckConstraint("review_interval_days BETWEEN 7 AND 366", name="review_interval_range"),
        CheckConstraint("retention_years BETWEEN 1 AND 30", name="retention_range"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=90)
    retention_years: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    municipalities: Mapped[list[LivcMunicipality]] = relationship(
        back_populates="livc", cascade="all, delete-orphan", order_by="LivcMunicipality.nis_code"
    )
    members: Mapped[list[LivcMember]] = relationship(
        back_populates="livc", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def municipality_nis(self) -> list[str]:
        return [m.nis_code for m in self.municipalities]


class LivcMunicipality(Base):
    __tablename__ = "livc_municipalities"

    livc_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("livcs.id", ondelete="CASCADE"), primary_key=True
    )
    nis_code: Mapped[str] = mapped_column(String(5), primary_key=True)

    livc: Mapped[Livc] = relationship(back_populates="municipalities")


class LivcMember(Base):
    """A partner organisation's membership of a LIVC, with the recorded invitation."""

    __tablename__ = "livc_members"
    __table_args__ = (UniqueConstraint("livc_id", "organisation_id", name="livc_member_once"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    livc_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("livcs.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=True
    )
    invited_at: Mapped[datetime] = now_column()

    livc: Mapped[Livc] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship()
