"""What the pathway engine owns: the state mixin of pathway-bound rows, the CHECK that
ties a state to its definition, and the transition history of every bound row."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from referral.core.columns import Base, enum_check, now_column, quote, uuid_pk


def state_check(by_version: dict[tuple[str, int], tuple[str, ...]],
                pathway_col: str = "pathway", version_col: str = "pathway_version",
                state_col: str = "state") -> CheckConstraint:
    """CHECK that the state is a state of the row's pathway definition and version."""
    parts = [
        f"({pathway_col} = '{name}' AND {version_col} = {version} AND "
        f"{state_col} IN ({quote(states)}))"
        for (name, version), states in sorted(by_version.items())
    ]
    return CheckConstraint(" OR ".join(parts), name="state_in_pathway")


class StateAssignmentError(AttributeError):
    """Raised when code outside the workflow engine assigns a pathway state."""


class PathwayStateMixin:
    """A row bound to a pathway definition; only the workflow engine moves its state.

    ``obj.state = ...`` raises: the state changes only through
    ``referral.pathways.engine`` (which checks policy and guards and writes
    history and audit in the same transaction).

    Each bound model names its ``pathway_object_type`` (the history's and the ledger's
    ``object_type``); ``workflows migrate`` finds every bound model through the mapper
    registry, so a new pathway-bound feature is migrated without touching the CLI.
    """

    pathway_object_type: ClassVar[str]
    _state: Mapped[str] = mapped_column("state", String(40))

    @property
    def pathway_case_id(self) -> uuid.UUID | None:
        """The case this row belongs to (the history's and the ledger's ``case_id``)."""
        return getattr(self, "case_id", None)

    @hybrid_property
    def state(self) -> str:
        return self._state

    @state.inplace.setter
    def _state_setter(self, value: str) -> None:
        raise StateAssignmentError("pathway state changes only through the workflow engine")

    @state.inplace.expression
    @classmethod
    def _state_expression(cls) -> ColumnElement[str]:
        return cls._state  # type: ignore[return-value]


def engine_set_state(obj: PathwayStateMixin, value: str) -> None:
    """The one place a pathway state is written (called by the engine and factories)."""
    obj._state = value


class TransitionRecord(Base):
    """One row per state change of any pathway-bound row (case, referral, meeting, ...)."""

    __tablename__ = "transition_history"
    __table_args__ = (
        enum_check("object_type", ("case", "referral", "meeting", "partner_pathway")),
        Index("ix_transition_history_object", "object_type", "object_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cases.id"), nullable=True, index=True
    )
    pathway: Mapped[str] = mapped_column(String(40))
    pathway_version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_state: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=True
    )
    actor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=True
    )
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("meetings.id"), nullable=True
    )
    decision_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    at: Mapped[datetime] = now_column()


def bound_models() -> list[type[PathwayStateMixin]]:
    """Every mapped model bound to a pathway (cases, referrals, partner pathways, meetings)."""
    found = {m.class_ for m in Base.registry.mappers if issubclass(m.class_, PathwayStateMixin)}
    return sorted(found, key=lambda cls: cls.__name__)
