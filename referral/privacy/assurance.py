"""The annual assurance report of a LIVC: how its shared secrets were handled, in counts.

Read off the ledger (the one record of every access), per LIVC -- events on that LIVC's
cases -- and per calendar year in Brussels time.  Counts only, never a case: counts from 1
to 4 read ``"<5"``, and where a breakdown (re-identifications by reason) is published with
its total, complementary suppression keeps the total from giving a small cell away
(``referral.dashboards.suppression``); every count is rounded to a multiple of 5.  The
chain's state is the platform's: the last verification on the ledger and the last
checkpoint published outside the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies.actor import Actor
from policies.reports import AssuranceFacts
from policies.vocabulary import REIDENTIFY_REASONS
from referral.audit.publication import published_for_current_app
from referral.cases.models import BreakGlass, Case
from referral.core import calendar, clock, errors
from referral.core.authz import record_read
from referral.core.ledger.models import AuditEvent
from referral.dashboards.suppression import HIDDEN, is_small, publish, publish_total, rounded
from referral.organisations.models import Livc

FIRST_YEAR = 2000


def _count(n: int) -> int | str:
    return HIDDEN if is_small(n) else rounded(n)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    start = calendar.start_of_day(datetime(year, 1, 1).date())
    end = calendar.start_of_day(datetime(year + 1, 1, 1).date())
    return start, end


def _category(purpose: str | None) -> str:
    head = (purpose or "").split(":", 1)[0].strip()
    return head if head in REIDENTIFY_REASONS else "other"


def report(s: Session, actor: Actor, livc_id: uuid.UUID, year: int) -> dict[str, Any]:
    """The report; decided by ``policies`` (403 naming the rule) and put on the ledger."""
    if not FIRST_YEAR <= year <= calendar.today().year:
        raise errors.field_error("year", f"A year from {FIRST_YEAR} to this year.")
    livc = s.get(Livc, livc_id)
    if livc is None:
        raise errors.NotFound("No such LIVC.")
    # Decided and on the ledger before anything is counted: a refusal is a denial event.
    record_read(s, actor, "assurance:read", AssuranceFacts(livc_id=livc.id),
                object_type="livc", object_id=livc.id, purpose=f"assurance report {year}")
    start, end = _year_bounds(year)
    cases = select(Case.id).where(Case.livc_id == livc.id)
    in_scope = (AuditEvent.case_id.in_(cases), AuditEvent.at >= start, AuditEvent.at < end)

    def events(action: str, outcome: str = "allowed") -> int:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(
            *in_scope, AuditEvent.action == action, AuditEvent.outcome == outcome)) or 0

    by_reason: dict[tuple[str, ...], int] = {}
    for purpose in s.scalars(select(AuditEvent.purpose).where(
            *in_scope, AuditEvent.action == "case:reidentify",
            AuditEvent.outcome == "allowed")):
        key = (_category(purpose),)
        by_reason[key] = by_reason.get(key, 0) + 1
    published = publish(by_reason)
    grants = select(BreakGlass).where(BreakGlass.case_id.in_(cases),
                                      BreakGlass.granted_at >= start,
                                      BreakGlass.granted_at < end)
    used = s.scalar(select(func.count()).select_from(grants.subquery())) or 0
    reviewed = s.scalar(select(func.count()).select_from(
        grants.where(BreakGlass.reviewed_at.is_not(None)).subquery())) or 0
    holds = list(s.scalars(select(AuditEvent.purpose).where(
        *in_scope, AuditEvent.action == "case:legal_hold", AuditEvent.outcome == "allowed")))
    return {
        "livc_id": livc.id, "livc_name": livc.name, "year": year,
        "period": {"from": start, "until": end},
        "reidentifications": {
            "total": publish_total(by_reason),
            "by_reason": [{"reason_category": key[0], "count": count}
                          for key, count in published.items()]},
        "break_glass": {"used": _count(used), "reviewed": _count(reviewed),
                        "not_reviewed": _count(used - reviewed)},
        "disclosures": {"made": _count(events("note:disclose")),
                        "revoked": _count(events("disclosure:revoke"))},
        "denials": _count(s.scalar(select(func.count()).select_from(AuditEvent).where(
            *in_scope, AuditEvent.outcome == "denied")) or 0),
        "retention_purges": _count(events("case:purge")),
        "legal_holds": {"placed": _count(sum(1 for p in holds if (p or "").startswith("placed"))),
                        "lifted": _count(sum(1 for p in holds if p == "lifted"))},
        "chain": _chain_status(s),
        "generated_at": clock.now(),
    }


def _chain_status(s: Session) -> dict[str, Any]:
    last = s.execute(select(AuditEvent.at, AuditEvent.purpose).where(
        AuditEvent.action == "audit:verify", AuditEvent.outcome == "allowed")
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    published = published_for_current_app()
    newest = max(published, key=lambda p: p.seq) if published else None
    return {
        "last_verified_at": last.at if last else None,
        "last_verification": (last.purpose or "").rpartition("; ")[2] if last else None,
        "last_published_checkpoint": ({"seq": newest.seq, "at": newest.at}
                                      if newest else None),
    }
