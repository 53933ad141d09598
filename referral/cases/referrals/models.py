"""Referrals (hand-offs between organisations) and the partner pathways they open."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

import workflows
from policies.vocabulary import REFERRAL_KINDS, SPHERES_OF_LIFE
from referral.core.columns import Base, enum_check, now_column, uuid_pk
from referral.pathways.models import PathwayStateMixin, state_check


class Referral(PathwayStateMixin, Base):
    pathway_object_type = "referral"
    __tablename__ = "referrals"
    __table_args__ = (
        state_check(workflows.states_by_version(("referral",))),
        enum_check("kind", REFERRAL_KINDS),
        enum_check("sphere_of_life", SPHERES_OF_LIFE, nullable=True),
        CheckConstraint("from_organisation_id <> to_organisation_id", name="not_to_self"),
        # Sent by an organisation, or by a LIVC (a decision of its meeting): exactly one.
        CheckConstraint("(from_organisation_id IS NULL) <> (from_livc_id IS NULL)",
                        name="one_sender"),
        CheckConstraint("state <> 'declined' OR reason IS NOT NULL", name="declined_needs_reason"),
        CheckConstraint("state <> 'completed' OR outcome IS NOT NULL",
                        name="completed_needs_outcome"),
        Index("ix_referrals_to_state", "to_organisation_id", "state"),
        Index("ix_referrals_from_state", "from_organisation_id", "state"),
        Index("ix_referrals_case_state", "case_id", "state"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    from_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=True)
    # A LIVC decision's referral: the LIVC sends it, not its chair's organisation.
    from_livc_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("livcs.id"), nullable=True)
    from_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    to_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    sphere_of_life: Mapped[str | None] = mapped_column(String(40), nullable=True)
    purpose: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[str | None] = mapped_column(String(300), nullable=True)
    pathway: Mapped[str] = mapped_column(String(40), default="referral")
    pathway_version: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(500), nullable=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("meetings.id"), nullable=True
    )
    offered_at: Mapped[datetime] = now_column()
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PartnerPathway(PathwayStateMixin, Base):
    """The recipient's own pathway for an active referral (CAW guidance, VDAB trajectory...)."""

    pathway_object_type = "partner_pathway"
    __tablename__ = "partner_pathways"
    __table_args__ = (state_check(workflows.states_by_version(workflows.PARTNER_PATHWAYS)),)

    id: Mapped[uuid.UUID] = uuid_pk()
    referral_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("referrals.id"), unique=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    pathway: Mapped[str] = mapped_column(String(40))
    pathway_version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
