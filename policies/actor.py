"""Who is acting: plain facts about the user, no Flask, no ORM."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from policies.vocabulary import CASE_ROLES, LIVC_ROLES, OVERSIGHT_ROLES


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class Actor:
    """An authenticated user as the rules see them.

    ``roles`` holds ``(role, livc_id)`` pairs; ``livc_id`` is ``None`` for
    organisation-wide roles.  ``Actor.anonymous()`` stands for no user at all.
    """

    user_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    organisation_kind: str | None = None
    roles: frozenset[tuple[str, uuid.UUID | None]] = field(default_factory=frozenset)
    security_clearance: str = "none"

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, organisation_id=None)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has_role(self, role: str, livc_id: uuid.UUID | None = None) -> bool:
        if role in LIVC_ROLES and livc_id is None:
            return any(r == role for r, _ in self.roles)
        return (role, livc_id) in self.roles

    def livcs_with(self, *roles: str) -> frozenset[uuid.UUID]:
        return frozenset(lv for r, lv in self.roles if r in roles and lv is not None)

    @property
    def has_case_role(self) -> bool:
        return any(r in CASE_ROLES for r, _ in self.roles)

    @property
    def is_oversight_only(self) -> bool:
        return bool(self.roles) and all(r in OVERSIGHT_ROLES for r, _ in self.roles)
