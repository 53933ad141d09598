"""Who may grant which role to whom (issue 14: the platform administrator is not a back door).

A case role opens case content, so it is granted only from inside the organisation:

- **case roles** (reference person, case worker) are granted and removed only by the user's
  own organisation's **access manager** (`case_roles_by_access_manager`) — never by the
  platform administrator, who could otherwise make themselves a reference person anywhere;
- the platform administrator appoints an organisation's **first access manager**
  (`first_access_manager`); later ones are appointed by the organisation's access managers;
- **LIVC roles** (chair, coordinator, member, police information officer) and the
  **oversight roles** (administrator, auditor, DPO, regional analyst) are granted by the
  platform administrator (`platform_roles_by_admin`);
- an access manager manages its own organisation's users only (`own_organisation_only`).

Every grant of a case role notifies the organisation's reference persons, and a new account
that reads case content within its first day is flagged to the auditors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from policies.actor import Actor, Decision
from policies.vocabulary import ACCESS_ROLES, CASE_ROLES


@dataclass(frozen=True)
class GrantFacts:
    organisation_id: uuid.UUID  # the user's organisation
    # Whether that organisation has (or had: deactivated accounts count) an access manager
    # other than the user concerned.
    has_access_manager: bool


def may_manage_user(actor: Actor, organisation_id: uuid.UUID) -> Decision:
    """Reading and changing the account (not its roles) of a user of that organisation."""
    if actor.has_role("admin"):
        return Decision(True, "user_administration", "The platform administrator.")
    if actor.has_role("access_manager") and actor.organisation_id == organisation_id:
        return Decision(True, "user_administration", "The organisation's access manager.")
    return Decision(False, "own_organisation_only", "An access manager manages the users of "
                    "its own organisation only.")


def decide_grant(actor: Actor, role: str, facts: GrantFacts) -> Decision:
    """Whether ``actor`` may grant (or remove) ``role`` for a user of that organisation."""
    own = actor.has_role("access_manager") and actor.organisation_id == facts.organisation_id
    if role in CASE_ROLES:
        if own:
            return Decision(True, "case_roles_by_access_manager", "The organisation's access "
                            "manager grants its case roles.")
        return Decision(False, "case_roles_by_access_manager", "Case roles are granted only by "
                        "the organisation's own access manager.")
    if role in ACCESS_ROLES:
        if own:
            return Decision(True, "first_access_manager", "An access manager appoints another.")
        if actor.has_role("admin") and not facts.has_access_manager:
            return Decision(True, "first_access_manager", "The administrator appoints the "
                            "organisation's first access manager.")
        return Decision(False, "first_access_manager", "The administrator appoints only an "
                        "organisation's first access manager; its access managers appoint "
                        "the others.")
    if actor.has_role("admin"):
        return Decision(True, "platform_roles_by_admin", "The administrator grants LIVC and "
                        "oversight roles.")
    return Decision(False, "platform_roles_by_admin", "LIVC roles and oversight roles are "
                    "granted by the platform administrator.")


def refused_grant(actor: Actor, roles: Iterable[str], facts: GrantFacts) -> Decision | None:
    """The first refused grant among ``roles`` (the roles added or removed), or None."""
    for role in sorted(set(roles)):
        decision = decide_grant(actor, role, facts)
        if not decision.allowed:
            return decision
    return None
