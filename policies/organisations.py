"""Who reads an organisation's response times (red/amber/green).

The figures are counts and ages, never a case: how many referrals the organisation
answered within the deadline, how old its oldest unanswered one is, how many screenings
and reviews are overdue.  They still tell how an organisation treats the people handed to
it, so they are read by those who answer for it and by those who work with it in a LIVC:

- the organisation's own users, for all of its cases;
- the chair and coordinator of a LIVC the organisation is a member of, for that LIVC's
  cases only (a LIVC does not learn about another LIVC's cases).

The platform administrator, auditors, DPOs and regional analysts run or oversee the
platform, not the organisations' care work: not theirs (the statistics are, suppressed).
Organisations are listed in the directory, so a refusal is a 403, not a 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from policies.actor import Actor, Decision
from policies.catalogue import RULES

LIVC_READERS = ("livc_chair", "livc_coordinator")


@dataclass(frozen=True)
class OrganisationFacts:
    organisation_id: uuid.UUID
    # The LIVCs of which the organisation is a member.
    livc_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


def _d(allowed: bool, rule: str) -> Decision:
    return Decision(allowed, rule, RULES[rule].text)


def response_time_livcs(actor: Actor, org: OrganisationFacts) -> frozenset[uuid.UUID]:
    """The LIVCs over whose cases this chair or coordinator reads the organisation's figures."""
    return actor.livcs_with(*LIVC_READERS) & org.livc_ids


def decide_organisation(actor: Actor, action: str, org: OrganisationFacts) -> Decision:
    if action != "organisation:response_times":
        return _d(False, "no_rule")
    if actor.is_oversight_only:
        return _d(False, "response_times_readers")
    if actor.organisation_id == org.organisation_id:
        return _d(True, "response_times_own_organisation")
    if response_time_livcs(actor, org):
        return _d(True, "response_times_livc")
    return _d(False, "response_times_readers")
