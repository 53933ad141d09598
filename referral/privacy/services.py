"""Data-protection services: legal holds, cross-agency matches and the data-subject
access report (GDPR art. 15: "who looked at my file").

The DPO (role ``dpo``, not the auditor) handles data-subject requests: the DPO
is the GDPR's contact point for them (art. 38-39), while auditors search the log
without ever identifying a person by national number.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from policies.actor import Actor
from referral.accounts.models import RoleAssignment, User
from referral.cases.models import Case, CaseMatch, Subject
from referral.cases.referrals.models import Referral
from referral.core import clock, errors
from referral.core.authz import record_read
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent
from referral.identity.errors import InvalidIdentity
from referral.identity.national_number import parse_national_number
from referral.identity.pseudonym import normalise_national_number, pseudonym, pseudonym_key_for
from referral.organisations.models import Livc, Organisation

REPORT_ACCESS_LIMIT = 10_000


def set_legal_hold(s: Session, actor: Actor, case_id: uuid.UUID, reason: str | None) -> Case:
    case = s.get(Case, case_id)
    if case is None:
        raise errors.NotFound("No such case.")
    if case.purged_at is not None:
        raise errors.Gone("This case was purged already.")
    case.legal_hold = reason is not None
    case.legal_hold_reason = reason
    s.flush()
    chain.record(s, actor, "case:legal_hold", object_type="case", object_id=case.id,
                 case_id=case.id, purpose=("placed: " + reason) if reason else "lifted")
    return case


def list_matches(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """Matches on cases our organisation holds: the other organisation and a contact only."""
    mine, other = aliased(Case), aliased(Case)
    rows = s.execute(
        select(CaseMatch, mine.reference, other.owner_organisation_id,
               (mine.livc_id == other.livc_id).label("same_livc"))
        .join(mine, mine.id == CaseMatch.case_id)
        .join(other, other.id == CaseMatch.other_case_id)
        .where(mine.owner_organisation_id == actor.organisation_id,
               other.owner_organisation_id != actor.organisation_id)
        .order_by(CaseMatch.detected_at.desc())).all()
    result = []
    for match, reference, other_org_id, same_livc in rows:
        if not same_livc:
            # Across LIVCs a match says only that the person is known in another LIVC: the
            # holder is not named (policies/README.md, "Matches"); the LIVC coordinators
            # bring the two together if the consultation decides so.
            result.append({"case_id": match.case_id, "case_reference": reference,
                           "other_organisation": None, "contact_reference_person": None,
                           "same_livc": False, "detected_at": match.detected_at})
            continue
        org = s.get(Organisation, other_org_id)
        contact = s.scalar(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                           .where(User.organisation_id == other_org_id, User.active.is_(True),
                                  RoleAssignment.role == "reference_person")
                           .order_by(User.username).limit(1))
        result.append({"case_id": match.case_id, "case_reference": reference,
                       "other_organisation": {"id": other_org_id,
                                              "name": org.name if org else None},
                       "contact_reference_person": contact.display_name if contact else None,
                       "same_livc": True, "detected_at": match.detected_at})
    record_read(s, actor, "match:list", purpose=f"{len(result)} matches")
    return result


def access_report(s: Session, actor: Actor, national_number: str) -> dict[str, Any]:
    try:
        nn = parse_national_number(national_number)
    except InvalidIdentity as exc:
        raise errors.field_error("national_number", exc.message) from None
    key = pseudonym_key_for(current_app._get_current_object())  # type: ignore[attr-defined]
    return _report(s, actor, pseudonym(key, normalise_national_number(nn)))


def _is_reference(text: str) -> Any:
    # As typed or in capitals (references are): an exact match, so the unique index serves.
    return Case.reference.in_({text.strip(), text.strip().upper()})


def access_report_for_reference(s: Session, actor: Actor, reference: str) -> dict[str, Any]:
    """The same report, for the person of the case with this reference (every case with
    the same pseudonym, in every organisation)."""
    code = s.scalar(select(Subject.pseudonym).join(Case, Case.subject_id == Subject.id)
                    .where(_is_reference(reference)))
    if code is None:
        raise errors.field_error("reference", "No case has this reference.")
    return _report(s, actor, code)


def _report(s: Session, actor: Actor, code: str) -> dict[str, Any]:
    cases = list(s.scalars(select(Case).join(Subject, Subject.id == Case.subject_id)
                           .where(Subject.pseudonym == code).order_by(Case.opened_at)))
    orgs = {o.id: o.name for o in s.scalars(select(Organisation))}
    case_ids = [c.id for c in cases]
    report_cases = []
    for case in cases:
        involved = {case.owner_organisation_id} | set(s.scalars(
            select(Referral.to_organisation_id).where(Referral.case_id == case.id)))
        report_cases.append({
            "case_id": case.id, "reference": case.reference, "state": case.state,
            "owner_organisation": orgs.get(case.owner_organisation_id),
            "organisations_involved": sorted(orgs.get(o, "?") for o in involved),
            "opened_at": case.opened_at, "closed_at": case.closed_at,
            "retention_until": case.retention_until, "purged": case.purged_at is not None})
    users = {u.id: (u.display_name, orgs.get(u.organisation_id)) for u in s.scalars(select(User))}
    accesses = []
    if case_ids:
        for ev in s.scalars(select(AuditEvent).where(AuditEvent.case_id.in_(case_ids))
                            .order_by(AuditEvent.seq).limit(REPORT_ACCESS_LIMIT)):
            name, org = users.get(ev.actor_user_id, ("system", None)) if ev.actor_user_id \
                else ("system", None)
            accesses.append({"at": ev.at, "case_id": ev.case_id, "actor": name,
                             "organisation": org, "action": ev.action, "outcome": ev.outcome,
                             "rule": ev.rule})
    record_read(s, actor, "dsar:generate", object_type="subject", object_id=code,
                purpose=f"{len(cases)} cases, {len(accesses)} accesses")
    return {"pseudonym": code, "cases": report_cases, "accesses": accesses,
            "truncated": len(accesses) >= REPORT_ACCESS_LIMIT}


# -- the DPO's overview: legal holds and what retention will purge when ---------------------


def case_for_reference(s: Session, reference: str) -> Case:
    """The case a DPO names by its reference (a legal hold is asked for by reference)."""
    case = s.scalar(select(Case).where(_is_reference(reference)))
    if case is None:
        raise errors.field_error("reference", "No case has this reference.")
    return case


def _held_row(case: Case, orgs: dict[uuid.UUID, str], livcs: dict[uuid.UUID, str]
              ) -> dict[str, Any]:
    return {"case_id": case.id, "reference": case.reference, "state": case.state,
            "owner_organisation": orgs.get(case.owner_organisation_id),
            "livc": livcs.get(case.livc_id), "closed_at": case.closed_at,
            "retention_until": case.retention_until, "legal_hold": case.legal_hold,
            "legal_hold_reason": case.legal_hold_reason}


def retention_overview(s: Session, actor: Actor, page: int, per_page: int) -> dict[str, Any]:
    """Legal holds, and the closed cases in the order retention will purge them.

    The rule is the purge job's (``referral.ops.jobs.purge_expired``): a closed case is
    kept until ``retention_until`` (closure + ``RETENTION_YEARS``), is purged by the first
    run after that day unless a legal hold stops it; an open case is never purged (its
    retention starts when it closes), a reopened case loses its date.
    """
    orgs = {o.id: o.name for o in s.scalars(select(Organisation))}
    livcs = {lv.id: lv.name for lv in s.scalars(select(Livc))}
    not_purged = Case.purged_at.is_(None)
    held = [_held_row(c, orgs, livcs) for c in s.scalars(
        select(Case).where(Case.legal_hold.is_(True), not_purged).order_by(Case.reference))]
    due_where = (Case._state == "closed", not_purged, Case.retention_until.is_not(None))
    due_total = s.scalar(select(func.count()).select_from(Case).where(*due_where)) or 0
    due = [_held_row(c, orgs, livcs) for c in s.scalars(
        select(Case).where(*due_where).order_by(Case.retention_until, Case.reference)
        .offset((page - 1) * per_page).limit(per_page))]
    for row in due:
        row["purge_on"] = row["retention_until"] + timedelta(days=1)
    counts = dict(s.execute(select(
        func.count().filter(Case._state != "closed").label("open"),
        func.count().filter(Case._state == "closed", not_purged).label("closed"),
        func.count().filter(Case.purged_at.is_not(None)).label("purged"))).one()._mapping)
    today = clock.now().date()
    overdue = sum(1 for r in held if r["retention_until"] and r["retention_until"] < today)
    record_read(s, actor, "privacy:overview", object_type="cases",
                purpose=f"legal holds {len(held)}; retention page {page}")
    return {"held": held, "due": due, "due_total": int(due_total), "page": page,
            "per_page": per_page, "counts": {k: int(v or 0) for k, v in counts.items()},
            "held_past_retention": overdue,
            "retention_years": current_app.config["RETENTION_YEARS"], "today": today}
