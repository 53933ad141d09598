"""LIVC meetings: attendees, secrecy acknowledgements, agenda, decisions, actions and
their history and carry-overs, notices of information not shared, minutes and feedback
sheets."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

import workflows
from policies.vocabulary import (
    ACTION_STATUSES,
    ACTION_STATUSES_WITH_REASON,
    AGENDA_REASONS,
    DECISIONS,
    FEEDBACK_STATES,
    WITHHELD_REASONS,
)
from referral.core.columns import Base, enum_check, now_column, quote, uuid_pk
from referral.pathways.models import PathwayStateMixin, state_check


class Meeting(PathwayStateMixin, Base):
    pathway_object_type = "meeting"
    __tablename__ = "meetings"
    __table_args__ = (
        state_check(workflows.states_by_version(("meeting",))),
        CheckConstraint(
            "state <> 'minutes_approved' OR minutes_approved_at IS NOT NULL",
            name="approved_minutes_recorded",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    livc_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("livcs.id"), index=True)
    scheduled_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pathway: Mapped[str] = mapped_column(String(40), default="meeting")
    pathway_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = now_column()
    # Minutes: AES-GCM under a meeting data key; immutable once approved.
    data_key_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("data_keys.id"))
    minutes_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    minutes_drafted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=True
    )
    minutes_approved_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=True
    )
    minutes_approved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = now_column()


class SecrecyAcknowledgement(Base):
    """An attendee's acknowledgement of the secrecy duty (art. 458ter §2) for one meeting."""

    __tablename__ = "secrecy_acknowledgements"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="acknowledge_once"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    wording_version: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_at: Mapped[datetime] = now_column()


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (
        enum_check("reason", AGENDA_REASONS),
        UniqueConstraint("meeting_id", "case_id", name="case_once_per_meeting"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    added_at: Mapped[datetime] = now_column()


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        enum_check("decision", DECISIONS),
        CheckConstraint(
            "decision <> 'start_programme' OR coordinator_organisation_id IS NOT NULL",
            name="programme_needs_coordinator",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    # Decision text is meeting material: encrypted under the case's data key.
    text_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    coordinator_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=True
    )
    decided_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime] = now_column()


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        enum_check("status", ACTION_STATUSES),
        CheckConstraint(f"status NOT IN ({quote(ACTION_STATUSES_WITH_REASON)}) "
                        "OR status_reason IS NOT NULL", name="why_not_recorded"),
        CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name="done_recorded"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    decision_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("decisions.id"))
    # The meeting that decided it.
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), index=True
    )
    description: Mapped[str] = mapped_column(String(500))
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Why it was not possible or not done: written for the LIVC (whoever sees the action).
    status_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ActionEvent(Base):
    """One entry of an action's history: given (no ``from_status``), or a status change."""

    __tablename__ = "action_events"
    __table_args__ = (
        enum_check("from_status", ACTION_STATUSES, nullable=True),
        enum_check("to_status", ACTION_STATUSES),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("actions.id"), index=True)
    # The meeting it happened in: the decision's, or the one that reviewed the action.
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("meetings.id"),
                                                         nullable=True)
    actor_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    actor_organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid,
                                                             ForeignKey("organisations.id"))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    at: Mapped[datetime] = now_column()


class ActionCarryOver(Base):
    """An open action on a later meeting's agenda of its LIVC, to be reviewed there."""

    __tablename__ = "action_carry_overs"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("actions.id"),
                                                 primary_key=True, index=True)
    carried_at: Mapped[datetime] = now_column()


class WithheldNotice(Base):
    """An attending organisation holds relevant information on a case that it does not
    share: a reason category, never content."""

    __tablename__ = "withheld_notices"
    __table_args__ = (
        enum_check("reason_category", WITHHELD_REASONS),
        UniqueConstraint("meeting_id", "case_id", "organisation_id",
                         name="withheld_once_per_organisation"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    reason_category: Mapped[str] = mapped_column(String(30))
    recorded_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = now_column()


class FeedbackSheet(Base):
    """The terugkoppelingsfiche: the LIVC's only output towards the police."""

    __tablename__ = "feedback_sheets"
    __table_args__ = (
        enum_check("state", FEEDBACK_STATES),
        CheckConstraint("state <> 'issued' OR issued_at IS NOT NULL", name="issued_recorded"),
        UniqueConstraint("meeting_id", "case_id", name="sheet_once_per_case"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    text_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    drafted_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = now_column()
    issued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class FeedbackApproval(Base):
    __tablename__ = "feedback_approvals"
    __table_args__ = (UniqueConstraint("sheet_id", "user_id", name="approve_once"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    sheet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("feedback_sheets.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    approved_at: Mapped[datetime] = now_column()
