"""An organisation's response times, red/amber/green: how it keeps its deadlines.

- **referrals** handed to the organisation: how many it answered (accepted or declined) in
  the last year, how many of those by their deadline, how many expired unanswered, and how
  many working days the oldest one still waiting has been waiting;
- **screenings** of the cases it registered that are past their screening deadline;
- **reviews** of the cases it coordinates (in guidance or aftercare) past their due date.

The status is **red** when anything is overdue now, **amber** when an open referral or
screening has used ``RESPONSE_TIME_AMBER_SHARE`` (default 0.75) of its deadline's working
days, **green** otherwise.  Working days and "today" are Brussels ones
(:mod:`referral.core.calendar`), so a deadline running over Easter is not overdue on
Easter Monday.

Counts only, never a case, a reference or a pseudonym.  A LIVC's chair or coordinator gets the
figures over the cases of their own LIVCs (policies/organisations.py): a LIVC does not
learn about another LIVC's cases through a shared partner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from policies.actor import Actor
from policies.organisations import OrganisationFacts, response_time_livcs
from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.core import calendar, clock
from referral.core.authz import Reachable, load_for, register
from referral.organisations.models import LivcMember, Organisation

ANSWERED_OVER = timedelta(days=365)
SCREENING_STATES = ("signalled", "screening")
REVIEW_STATES = ("guidance", "aftercare")


def organisation_facts(s: Session, org: Organisation) -> OrganisationFacts:
    livcs = s.scalars(select(LivcMember.livc_id).where(LivcMember.organisation_id == org.id))
    return OrganisationFacts(organisation_id=org.id, livc_ids=frozenset(livcs))


def _probe(s: Session, org_id: object) -> None:
    # A missing id costs the same membership query as an existing one.
    s.execute(select(LivcMember.livc_id).where(LivcMember.organisation_id == org_id)).all()


register(Organisation, Reachable(
    object_type="organisation", fetch=lambda s, i, _lock: s.get(Organisation, i),
    facts=organisation_facts, case_id=lambda _org: None, missing="No such organisation.",
    probe=_probe))


@dataclass(frozen=True)
class Open:
    """An item still waiting: when its clock started (a Brussels day) and its deadline."""

    started: date
    due: date
    overdue: bool


def _share_used(item: Open, today: date) -> float:
    total = calendar.working_days_between(item.started, item.due)
    if total <= 0:
        return 1.0
    return calendar.working_days_between(item.started, today) / total


def status_of(open_items: list[Open], overdue_counts: int, today: date, amber: float) -> str:
    if overdue_counts or any(i.overdue for i in open_items):
        return "red"
    if any(_share_used(i, today) >= amber for i in open_items):
        return "amber"
    return "green"


def _in_livcs(livc_ids: frozenset[uuid.UUID] | None) -> list[ColumnElement[bool]]:
    return [] if livc_ids is None else [Case.livc_id.in_(livc_ids)]


def figures(s: Session, org_id: uuid.UUID, livc_ids: frozenset[uuid.UUID] | None,
            now: datetime, amber: float) -> dict[str, Any]:
    """The figures of one organisation, over the cases of ``livc_ids`` (None: all)."""
    today = calendar.local_date(now)
    since = now - ANSWERED_OVER
    in_livcs = _in_livcs(livc_ids)
    to_org = select(Referral).join(Case, Case.id == Referral.case_id).where(
        Referral.to_organisation_id == org_id, *in_livcs).subquery()
    answered, in_time = s.execute(
        select(func.count(), func.count().filter(
            (to_org.c.expires_at.is_(None)) | (to_org.c.decided_at <= to_org.c.expires_at)))
        .where(to_org.c.decided_at >= since)).one()
    expired = s.scalar(select(func.count()).where(
        to_org.c.state == "expired", to_org.c.updated_at >= since)) or 0
    waiting = [Open(calendar.local_date(offered), calendar.local_date(expires or now),
                    expires is not None and expires < now)
               for offered, expires in s.execute(
                   select(to_org.c.offered_at, to_org.c.expires_at)
                   .where(to_org.c.state == "offered"))]
    screenings = [Open(calendar.local_date(opened), due, due < today)
                  for opened, due in s.execute(
                      select(Case.opened_at, Case.screening_due).where(
                          Case.owner_organisation_id == org_id, *in_livcs,
                          Case._state.in_(SCREENING_STATES), Case.screening_due.is_not(None),
                          Case.purged_at.is_(None))) if due is not None]
    reviews_overdue = s.scalar(select(func.count()).select_from(Case).where(
        func.coalesce(Case.coordinator_organisation_id, Case.owner_organisation_id) == org_id,
        *in_livcs, Case._state.in_(REVIEW_STATES), Case.next_review_due < today,
        Case.purged_at.is_(None))) or 0
    screenings_overdue = sum(1 for i in screenings if i.overdue)
    oldest = max((calendar.working_days_between(i.started, today) for i in waiting),
                 default=None)
    return {
        "organisation_id": org_id,
        "status": status_of(waiting + screenings, reviews_overdue, today, amber),
        "referrals_answered_in_time": int(in_time),
        "referrals_answered": int(answered),
        "referrals_expired": int(expired),
        "referrals_unanswered": len(waiting),
        "referrals_overdue": sum(1 for i in waiting if i.overdue),
        "oldest_unanswered_working_days": oldest,
        "screenings_overdue": screenings_overdue,
        "reviews_overdue": int(reviews_overdue),
        "as_of": today,
        "since": calendar.local_date(since),
        "amber_share": amber,
        "livc_ids": None if livc_ids is None else sorted(livc_ids),
    }


def response_times(s: Session, actor: Actor, org_id: uuid.UUID) -> dict[str, Any]:
    """Decided by policies (403 naming ``response_times_readers``), the read on the ledger."""
    loaded = load_for(s, actor, "organisation:response_times", Organisation, org_id,
                      purpose="response times")
    facts: OrganisationFacts = loaded.facts
    # The organisation's own users read all of its cases; a LIVC's chair or coordinator,
    # the cases of their LIVCs only.
    livc_ids = None if loaded.decision.rule == "response_times_own_organisation" \
        else response_time_livcs(actor, facts)
    return figures(s, org_id, livc_ids, clock.now(),
                   float(current_app.config["RESPONSE_TIME_AMBER_SHARE"]))
