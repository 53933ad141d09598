"""Pathway definitions as data (no Flask, no database).

``REGISTRY`` maps ``(name, version)`` to a :class:`Pathway`; the engine in
``referral.workflow_engine`` binds them to rows with the ``transitions`` library.
"""

from __future__ import annotations

from workflows.disengagement import DISENGAGEMENT_V1
from workflows.model import Guard, Pathway, Transition
from workflows.partner import (
    CAW_PSYCHO_SOCIAL_V1,
    DETENTION_V1,
    GENERIC_SERVICE_V1,
    JUSTICE_FOLLOW_UP_V1,
    VDAB_EMPLOYMENT_V1,
    for_organisation_kind,
)
from workflows.referral import MEETING_V1, OPEN_REFERRAL_STATES, REFERRAL_V1

ALL: tuple[Pathway, ...] = (
    DISENGAGEMENT_V1,
    REFERRAL_V1,
    MEETING_V1,
    CAW_PSYCHO_SOCIAL_V1,
    JUSTICE_FOLLOW_UP_V1,
    VDAB_EMPLOYMENT_V1,
    DETENTION_V1,
    GENERIC_SERVICE_V1,
)

REGISTRY: dict[tuple[str, int], Pathway] = {p.key: p for p in ALL}

CASE_PATHWAYS = ("disengagement",)
PARTNER_PATHWAYS = tuple(p.name for p in ALL if p.name not in {"disengagement", "referral",
                                                                "meeting"})


def get(name: str, version: int) -> Pathway:
    try:
        return REGISTRY[(name, version)]
    except KeyError:
        raise LookupError(f"no pathway {name!r} version {version}") from None


def latest(name: str) -> Pathway:
    versions = [p for p in ALL if p.name == name]
    if not versions:
        raise LookupError(f"no pathway {name!r}")
    return max(versions, key=lambda p: p.version)


def states_by_version(names: tuple[str, ...]) -> dict[tuple[str, int], tuple[str, ...]]:
    """Allowed states per (pathway, version): the source of the DB CHECK constraints."""
    return {p.key: p.states for p in ALL if p.name in names}


__all__ = [
    "ALL",
    "CASE_PATHWAYS",
    "OPEN_REFERRAL_STATES",
    "PARTNER_PATHWAYS",
    "REGISTRY",
    "Guard",
    "Pathway",
    "Transition",
    "for_organisation_kind",
    "get",
    "latest",
    "states_by_version",
]
