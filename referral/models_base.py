"""Helpers shared by the feature models."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint, ColumnElement, String, Uuid
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from referral import clock
from referral.db import new_id


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=new_id)


def now_column() -> Mapped[datetime]:
    return mapped_column(default=clock.now)


def _quote(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def enum_check(column: str, values: Iterable[str], name: str | None = None,
               nullable: bool = False) -> CheckConstraint:
    """CHECK that ``column`` holds one of ``values`` (named ``<column>_valid``)."""
    expr = f"{column} IN ({_quote(values)})"
    if nullable:
        expr = f"{column} IS NULL OR {expr}"
    return CheckConstraint(expr, name=name or f"{column}_valid")


def state_check(by_version: dict[tuple[str, int], tuple[str, ...]],
                pathway_col: str = "pathway", version_col: str = "pathway_version",
                state_col: str = "state") -> CheckConstraint:
    """CHECK that the state is a state of the row's pathway definition and version."""
    parts = [
        f"({pathway_col} = '{name}' AND {version_col} = {version} AND "
        f"{state_col} IN ({_quote(states)}))"
        for (name, version), states in sorted(by_version.items())
    ]
    return CheckConstraint(" OR ".join(parts), name="state_in_pathway")


class StateAssignmentError(AttributeError):
    """Raised when code outside the workflow engine assigns a pathway state."""


class PathwayStateMixin:
    """A row bound to a pathway definition; only the workflow engine moves its state.

    ``obj.state = ...`` raises: the state changes only through
    ``referral.workflow_engine`` (which checks policy and guards and writes
    history and audit in the same transaction).
    """

    _state: Mapped[str] = mapped_column("state", String(40))

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
