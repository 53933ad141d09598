"""Data-protection services: legal holds, cross-agency matches and the data-subject
access report (GDPR art. 15: "who looked at my file").

The DPO (role ``dpo``, not the auditor) handles data-subject requests: the DPO
is the GDPR's contact point for them (art. 38-39), while auditors search the log
without ever identifying a person by national number.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from policies.actor import Actor
from referral.accounts.models import RoleAssignment, User
from referral.cases.models import Case, CaseMatch, Subject
from referral.cases.referrals.models import Referral
from referral.core import errors
from referral.core.authz import record_read
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent
from referral.identity.errors import InvalidIdentity
from referral.identity.national_number import parse_national_number
from referral.identity.pseudonym import normalise_national_number, pseudonym, pseudonym_key_for
from referral.organisations.models import Organisation

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
    code = pseudonym(key, normalise_national_number(nn))
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
