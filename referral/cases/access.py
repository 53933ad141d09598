"""Load the plain facts that ``policies`` decides on, and enforce decisions on rows."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    Uuid,
    bindparam,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, joinedload

from policies.actor import Actor, Decision
from policies.facts import CaseFacts, DisclosureFact, NoteFacts, ReferralFact, ReferralFacts
from referral.cases.models import BreakGlass, Case
from referral.cases.notes.models import Disclosure, Note
from referral.cases.referrals.models import PartnerPathway, Referral
from referral.core import clock, errors
from referral.core.authz import Reachable, load_for, register
from referral.core.columns import UTCDateTime
from referral.meetings.models import AgendaItem, SecrecyAcknowledgement


@functools.cache
def _facts_rows() -> CompoundSelect[Any]:
    """Everything the rules need about some cases, in one statement (one row per fact).

    Built once, with the bound parameters ``case_ids`` (expanding) and ``now``: building
    this union cost more CPU than running it.

    Tagged rows: ``r`` a referral (id, from, to, state, kind), ``b`` an unexpired
    break-glass grant (user), ``a`` a secrecy acknowledgement for a meeting with the case
    on its agenda (user), ``g`` the case is on an agenda.  One round trip instead of four
    per case (and four per listed case).
    """
    r, bg = Referral.__table__, BreakGlass.__table__
    ack, agenda = SecrecyAcknowledgement.__table__, AgendaItem.__table__
    none = [null(), null(), null(), null(), null()]
    case_ids: BindParameter[Any] = bindparam("case_ids", expanding=True)
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    return union_all(
        select(literal("r").label("fact"), r.c.case_id, r.c.id.label("a"),
               r.c.from_organisation_id.label("b"), r.c.to_organisation_id.label("c"),
               r.c.state.label("d"), r.c.kind.label("e"), r.c.from_livc_id.label("f"))
        .where(r.c.case_id.in_(case_ids)),
        select(literal("b"), bg.c.case_id, bg.c.user_id, *none)
        .where(bg.c.case_id.in_(case_ids), bg.c.expires_at > now),
        select(literal("a"), agenda.c.case_id, ack.c.user_id, *none)
        .select_from(ack.join(agenda, agenda.c.meeting_id == ack.c.meeting_id))
        .where(agenda.c.case_id.in_(case_ids)),
        select(literal("g"), agenda.c.case_id, null(), *none)
        .where(agenda.c.case_id.in_(case_ids)),
    )


def case_facts_many(s: Session, cases: Sequence[Case], now: datetime | None = None
                    ) -> dict[uuid.UUID, CaseFacts]:
    """The facts of several cases (a listed page) in one query."""
    now = now or clock.now()
    ids = [c.id for c in cases]
    referrals: dict[uuid.UUID, list[ReferralFact]] = {i: [] for i in ids}
    break_glass: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
    acknowledged: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
    on_agenda: set[uuid.UUID] = set()
    if ids:
        for row in s.execute(_facts_rows(), {"case_ids": ids, "now": now}):
            if row.fact == "r":
                referrals[row.case_id].append(ReferralFact(
                    id=row.a, from_organisation_id=row.b, to_organisation_id=row.c,
                    state=row.d, kind=row.e, from_livc_id=row.f))
            elif row.fact == "b":
                break_glass[row.case_id].add(row.a)
            elif row.fact == "a":
                acknowledged[row.case_id].add(row.a)
            else:
                on_agenda.add(row.case_id)
    return {case.id: CaseFacts(
        id=case.id, owner_organisation_id=case.owner_organisation_id, livc_id=case.livc_id,
        state=case.state, coordinator_organisation_id=case.coordinator_organisation_id,
        referrals=tuple(referrals[case.id]),
        break_glass_user_ids=frozenset(break_glass[case.id]),
        acknowledged_user_ids=frozenset(acknowledged[case.id]),
        on_agenda=case.id in on_agenda,
    ) for case in cases}


def case_facts(s: Session, case: Case, now: datetime | None = None) -> CaseFacts:
    return case_facts_many(s, [case], now)[case.id]


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
                              from_livc_id=referral.from_livc_id,
                              to_organisation_id=referral.to_organisation_id,
                              state=referral.state, kind=referral.kind),
        case=case)


@functools.cache
def _case_statement(lock: bool) -> Select[Any]:
    # The subject comes along (the header shows its pseudonym): no second round trip.
    # Built once per kind: the joinedload option alone cost 0.1 ms per request.
    stmt = select(Case).options(joinedload(Case.subject, innerjoin=True)).where(
        Case.id == bindparam("case_id", type_=Uuid()))
    return stmt.with_for_update(of=Case) if lock else stmt


def _fetch_case(s: Session, case_id: Any, lock: bool) -> Case | None:
    return s.scalar(_case_statement(lock), {"case_id": case_id})


def _not_purged(case: Case, action: str) -> None:
    if case.purged_at is not None and action != "case:access_log":
        raise errors.Gone("This case was purged at the end of its retention period.")


def _probe_case_facts(s: Session, case_id: Any) -> None:
    """The facts statement of :func:`case_facts_many`, for an id with no case."""
    s.execute(_facts_rows(), {"case_ids": [case_id], "now": clock.now()}).all()


register(Case, Reachable(object_type="case", fetch=_fetch_case, facts=case_facts,
                         case_id=lambda case: case.id, missing="No such case.",
                         checks=_not_purged, probe=_probe_case_facts))


def load_case(s: Session, actor: Actor, case_id: uuid.UUID, action: str, *,
              lock: bool = False, record: bool = True, event: str | None = None,
              purpose: str | None = None) -> tuple[Case, CaseFacts, Decision]:
    """The case if ``action`` is allowed (:func:`referral.core.authz.load_for`), its facts
    and the decision; 404 without relation, 403 with the rule; the read on the ledger."""
    loaded = load_for(s, actor, action, Case, case_id, lock=lock, record=record, event=event,
                      purpose=purpose)
    return loaded.row, loaded.facts, loaded.decision


def _note_facts(s: Session, note: Note) -> NoteFacts:
    case = s.get(Case, note.case_id)
    assert case is not None
    return note_facts(s, note, case_facts(s, case))


def _probe_note(s: Session, note_id: Any) -> None:
    s.get(Case, note_id)
    _probe_case_facts(s, note_id)
    s.execute(select(Disclosure.audience, Disclosure.revoked_at)
              .where(Disclosure.note_id == note_id)).all()


register(Note, Reachable(object_type="note", fetch=lambda s, i, _lock: s.get(Note, i),
                         facts=_note_facts, case_id=lambda note: note.case_id,
                         missing="No such note.", probe=_probe_note))


def _probe_referral(s: Session, referral_id: Any) -> None:
    s.get(Case, referral_id)
    _probe_case_facts(s, referral_id)


def fetch_referral(s: Session, referral_id: Any, lock: bool) -> Referral | None:
    stmt = select(Referral).where(Referral.id == referral_id)
    return s.scalar(stmt.with_for_update() if lock else stmt)


def referral_facts_of(s: Session, referral: Referral) -> ReferralFacts:
    case = s.get(Case, referral.case_id)
    assert case is not None
    return referral_facts(referral, case_facts(s, case))


register(Referral, Reachable(object_type="referral", fetch=fetch_referral,
                             facts=referral_facts_of, case_id=lambda r: r.case_id,
                             missing="No such referral.", probe=_probe_referral))


def _pathway_facts(s: Session, pp: PartnerPathway) -> ReferralFacts:
    referral = s.get(Referral, pp.referral_id)
    assert referral is not None
    return referral_facts_of(s, referral)


register(PartnerPathway, Reachable(
    object_type="partner_pathway", fetch=lambda s, i, _lock: s.get(PartnerPathway, i),
    facts=_pathway_facts, case_id=lambda pp: pp.case_id, missing="No such partner pathway."))
