"""Load the plain facts that ``policies`` decides on, and enforce decisions on rows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

import policies
from policies.actor import Actor, Decision
from policies.facts import CaseFacts, DisclosureFact, NoteFacts, ReferralFact, ReferralFacts
from referral import clock, errors
from referral.authz import authorize
from referral.cases.models import BreakGlass, Case
from referral.meetings.models import AgendaItem, SecrecyAcknowledgement
from referral.notes.models import Disclosure, Note
from referral.referrals.models import Referral


def case_facts(s: Session, case: Case, now: datetime | None = None) -> CaseFacts:
    now = now or clock.now()
    referrals = tuple(
        ReferralFact(id=r.id, from_organisation_id=r.from_organisation_id,
                     to_organisation_id=r.to_organisation_id, state=r.state, kind=r.kind)
        for r in s.execute(select(Referral.id, Referral.from_organisation_id,
                                  Referral.to_organisation_id, Referral._state.label("state"),
                                  Referral.kind).where(Referral.case_id == case.id))
    )
    break_glass = frozenset(s.scalars(select(BreakGlass.user_id).where(
        BreakGlass.case_id == case.id, BreakGlass.expires_at > now)))
    acknowledged = frozenset(s.scalars(
        select(SecrecyAcknowledgement.user_id)
        .join(AgendaItem, AgendaItem.meeting_id == SecrecyAcknowledgement.meeting_id)
        .where(AgendaItem.case_id == case.id)))
    on_agenda = bool(s.scalar(select(exists().where(AgendaItem.case_id == case.id))))
    return CaseFacts(
        id=case.id, owner_organisation_id=case.owner_organisation_id, livc_id=case.livc_id,
        state=case.state, coordinator_organisation_id=case.coordinator_organisation_id,
        referrals=referrals, break_glass_user_ids=break_glass,
        acknowledged_user_ids=acknowledged, on_agenda=on_agenda,
    )


def note_facts(s: Session, note: Note, case: CaseFacts) -> NoteFacts:
    disclosures = tuple(
        DisclosureFact(audience=a, revoked=r is not None)
        for a, r in s.execute(select(Disclosure.audience, Disclosure.revoked_at)
                              .where(Disclosure.note_id == note.id)))
    return NoteFacts(id=note.id, case=case, author_organisation_id=note.author_organisation_id,
                     compartment=note.compartment, disclosures=disclosures)


def referral_facts(referral: Referral, case: CaseFacts) -> ReferralFacts:
    return ReferralFacts(
        referral=ReferralFact(id=referral.id, from_organisation_id=referral.from_organisation_id,
                              to_organisation_id=referral.to_organisation_id,
                              state=referral.state, kind=referral.kind),
        case=case)


def load_case(s: Session, actor: Actor, case_id: uuid.UUID, action: str,
              *, lock: bool = False) -> tuple[Case, CaseFacts, Decision]:
    """The case if ``action`` is allowed; 404 without relation, 403 with the rule otherwise."""
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = s.scalar(stmt)
    if case is None:
        raise errors.NotFound("No such case.")
    facts = case_facts(s, case)
    decision = authorize(actor, action, facts, object_type="case", object_id=case.id,
                         case_id=case.id)
    if case.purged_at is not None and action != "case:access_log":
        raise errors.Gone("This case was purged at the end of its retention period.")
    return case, facts, decision


def decide_quietly(actor: Actor, action: str, resource: object) -> Decision:
    return policies.decide(actor, action, resource)
