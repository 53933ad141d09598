"""Plain facts about resources, as the rules need them (loaded by the app)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

LIVC_STATES = ("proposed", "guidance", "aftercare")
PARTNER_STATES = ("accepted", "active")


@dataclass(frozen=True)
class ReferralFact:
    id: uuid.UUID
    from_organisation_id: uuid.UUID | None  # None: sent by a LIVC (from_livc_id)
    to_organisation_id: uuid.UUID
    state: str
    kind: str = "service"
    from_livc_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CaseFacts:
    id: uuid.UUID
    owner_organisation_id: uuid.UUID
    livc_id: uuid.UUID
    state: str
    coordinator_organisation_id: uuid.UUID | None = None
    referrals: tuple[ReferralFact, ...] = ()
    # Users with an unexpired break-glass grant on this case.
    break_glass_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Users who acknowledged secrecy for a meeting with this case on the agenda.
    acknowledged_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Whether the case is on an agenda of one of its LIVC's meetings.
    on_agenda: bool = False


@dataclass(frozen=True)
class DisclosureFact:
    audience: str
    revoked: bool = False


@dataclass(frozen=True)
class NoteFacts:
    id: uuid.UUID
    case: CaseFacts
    author_organisation_id: uuid.UUID
    compartment: str
    disclosures: tuple[DisclosureFact, ...] = ()


@dataclass(frozen=True)
class ReferralFacts:
    referral: ReferralFact
    case: CaseFacts
