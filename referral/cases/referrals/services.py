"""Referrals: hand-offs between organisations, decided by the recipient's inbox, and the
partner pathways they open."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import workflows
from policies.actor import Actor
from policies.cases import reads_free_text
from policies.recipients import RecipientFacts, decide_recipient
from policies.scopes import referral_condition
from policies.vocabulary import OVERSIGHT_ROLES
from referral.accounts.models import RoleAssignment, User
from referral.cases.access import fetch_referral, load_case, referral_facts_of
from referral.cases.models import Case
from referral.cases.referrals.guards import PARTNER_GUARDS, REFERRAL_GUARDS
from referral.cases.referrals.models import PartnerPathway, Referral
from referral.core import clock, errors
from referral.core.authz import load_for, read_each
from referral.core.calendar import deadline
from referral.core.db import paginate
from referral.core.ledger import chain
from referral.notifications.services import notify_livc, notify_organisation
from referral.organisations.models import LivcMember, Organisation
from referral.pathways import engine
from referral.pathways.models import engine_set_state

ANSWER_WITHIN_WORKING_DAYS = 5


def _text_writer(r: Referral) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """Who wrote a referral's reason and outcome, as (organisation, LIVC): the sender
    withdraws (an organisation, or the LIVC of a decision's referral), the scheduled job
    expires (nobody), the recipient declines, ends and completes."""
    if r.state == "withdrawn":
        return r.from_organisation_id, r.from_livc_id
    if r.state == "expired":
        return None, None
    return r.to_organisation_id, None


def render(s: Session, r: Referral, actor: Actor) -> dict[str, Any]:
    data = {c: getattr(r, c) for c in (
        "id", "case_id", "from_organisation_id", "from_livc_id", "from_user_id",
        "to_organisation_id",
        "to_user_id", "kind", "sphere_of_life", "purpose", "legal_basis", "state", "version",
        "reason", "outcome", "offered_at", "expires_at", "decided_at")}
    organisation, livc = _text_writer(r)
    if not reads_free_text(actor, organisation, written_by_livc=livc):
        data["reason_withheld"] = bool(r.reason or r.outcome)
        data["reason"] = data["outcome"] = None
    data["partner_pathway"] = s.scalar(select(PartnerPathway).where(
        PartnerPathway.referral_id == r.id))
    return data


def _check_recipient(s: Session, case: Case, to_org: Organisation, data: dict[str, Any], *,
                     from_livc_decision: bool) -> None:
    """422 naming the rule unless ``to_org`` may receive this referral (policies.recipients)."""
    oversight = s.scalar(select(RoleAssignment.id).join(User, User.id == RoleAssignment.user_id)
                         .where(User.organisation_id == to_org.id,
                                RoleAssignment.role.in_(OVERSIGHT_ROLES)).limit(1))
    member = s.scalar(select(LivcMember.id).where(LivcMember.livc_id == case.livc_id,
                                                  LivcMember.organisation_id == to_org.id))
    facts = RecipientFacts(kind=to_org.kind, oversight=oversight is not None,
                           livc_member=member is not None,
                           from_livc_decision=from_livc_decision)
    decision = decide_recipient(facts, data["kind"], data.get("sphere_of_life"))
    if not decision.allowed:
        raise errors.ValidationFailed({"to_organisation_id": [decision.reason]},
                                      rule=decision.rule)


def create_referral(s: Session, actor: Actor, case_id: uuid.UUID, data: dict[str, Any],
                    *, on_behalf_of_livc: bool = False, meeting_id: uuid.UUID | None = None
                    ) -> dict[str, Any]:
    # A LIVC `refer` decision: the meeting service already authorised its chair or
    # coordinator (case:livc_decide), who is neither owner nor coordinator of the case.
    action = "case:read" if on_behalf_of_livc else "case:refer"
    case, _facts, _decision = load_case(s, actor, case_id, action, lock=True, record=False)
    if case.state == "closed":
        raise errors.Conflict("A closed case is not referred.", state=case.state)
    to_org = s.get(Organisation, data["to_organisation_id"])
    if to_org is None:
        raise errors.field_error("to_organisation_id", "Unknown organisation.")
    if to_org.id == actor.organisation_id:
        raise errors.field_error("to_organisation_id", "Refer to another organisation.")
    if data["kind"] == "service" and not data.get("sphere_of_life"):
        raise errors.field_error("sphere_of_life", "A service referral names a sphere of life.")
    _check_recipient(s, case, to_org, data, from_livc_decision=on_behalf_of_livc)
    duplicate = s.scalar(select(Referral.id).where(
        Referral.case_id == case.id, Referral.to_organisation_id == to_org.id,
        Referral.kind == data["kind"], Referral.sphere_of_life == data.get("sphere_of_life"),
        Referral._state.in_(workflows.OPEN_REFERRAL_STATES)))
    if duplicate:
        raise errors.Conflict("An open referral of this kind to this organisation exists.",
                              referral_id=str(duplicate))
    # The end of the fifth working day in Brussels, not a UTC date's 23:59 (tests/core).
    expires = deadline(clock.now(), ANSWER_WITHIN_WORKING_DAYS)
    # A LIVC decision's referral is the LIVC's: not its chair's organisation's to read or
    # withdraw (policies.cases.decide_referral).
    referral = Referral(
        case_id=case.id,
        from_organisation_id=None if on_behalf_of_livc else actor.organisation_id,
        from_livc_id=case.livc_id if on_behalf_of_livc else None, from_user_id=actor.user_id,
        to_organisation_id=to_org.id, to_user_id=data.get("to_user_id"), kind=data["kind"],
        sphere_of_life=data.get("sphere_of_life"), purpose=data["purpose"],
        legal_basis=data.get("legal_basis"), expires_at=expires, meeting_id=meeting_id)
    pathway = workflows.latest("referral")
    referral.pathway, referral.pathway_version = pathway.name, pathway.version
    engine_set_state(referral, pathway.initial)
    engine.check_entry(s, actor, referral, REFERRAL_GUARDS, extra={"case": case})
    s.add(referral)
    s.flush()
    engine.record_initial(s, actor, referral, object_type="referral", case_id=case.id)
    notify_organisation(s, to_org.id, "referral_offered",
                        "A referral awaits your organisation.",
                        f"/api/v1/referrals/{referral.id}")
    chain.record(s, actor, "referral:create", object_type="referral", object_id=referral.id,
                 case_id=case.id, purpose=f"{data['kind']}/{data.get('sphere_of_life') or '-'}")
    return render(s, referral, actor)


def _load(s: Session, actor: Actor, referral_id: uuid.UUID, action: str, *, lock: bool = False,
          record: bool = False, system: bool = False) -> tuple[Referral, Case, Any]:
    if system:  # the scheduled job acts without a user: there is no relation to check
        referral = fetch_referral(s, referral_id, lock)
        if referral is None:
            raise errors.NotFound("No such referral.")
        facts = referral_facts_of(s, referral)
    else:
        loaded = load_for(s, actor, action, Referral, referral_id, lock=lock, record=record)
        referral, facts = loaded.row, loaded.facts
    case = s.get(Case, referral.case_id)
    assert case is not None
    return referral, case, facts


def get_referral(s: Session, actor: Actor, referral_id: uuid.UUID) -> dict[str, Any]:
    referral, _case, _ = _load(s, actor, referral_id, "referral:read", record=True)
    return render(s, referral, actor)


def list_referrals(s: Session, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    stmt = select(Referral).where(referral_condition(actor, Referral.__table__))
    if query.get("direction") == "incoming":
        stmt = stmt.where(Referral.to_organisation_id == actor.organisation_id)
    elif query.get("direction") == "outgoing":
        stmt = stmt.where(or_(Referral.from_organisation_id == actor.organisation_id,
                              Referral.from_livc_id.in_(
                                  actor.livcs_with("livc_chair", "livc_coordinator"))))
    if query.get("state"):
        stmt = stmt.where(Referral._state == query["state"])
    if query.get("case_id"):
        stmt = stmt.where(Referral.case_id == query["case_id"])
    page, per_page = query["page"], query["per_page"]
    rows, total = paginate(s, stmt, page, per_page, Referral.offered_at.desc(), Referral.id)
    read_each(s, actor, "referral:read", Referral, rows, None)
    return {"items": [render(s, r, actor) for r in rows], "page": page, "per_page": per_page,
            "total": total}


def transition_referral(s: Session, actor: Actor, referral_id: uuid.UUID, data: dict[str, Any],
                        expected_version: int | None, *, system: bool = False
                        ) -> dict[str, Any]:
    # The scheduled job (system=True) acts without a user: no relation to check.
    referral, case, facts = _load(s, actor, referral_id, "referral:read", lock=True,
                                  system=system)
    firing = engine.fire(
        s, actor, referral, trigger=data["trigger"], object_type="referral", resource=facts,
        guards=REFERRAL_GUARDS, case_id=case.id, expected_version=expected_version,
        reason=data.get("reason"), outcome=data.get("outcome"), extra={"case": case},
        check_policy=not system)
    now = clock.now()
    referral.updated_at = now
    if firing.transition.dest in {"accepted", "declined"}:
        referral.decided_at = now
    if data.get("reason"):
        referral.reason = data["reason"]
    if data.get("outcome"):
        referral.outcome = data["outcome"]
    _effects(s, actor, referral, case, firing)
    s.flush()
    return render(s, referral, actor)


def _effects(s: Session, actor: Actor, referral: Referral, case: Case,
             firing: engine.Firing) -> None:
    link = f"/api/v1/referrals/{referral.id}"
    for effect in firing.transition.effects:
        if effect == "notify_sender" and referral.from_livc_id is not None:
            notify_livc(s, referral.from_livc_id, f"referral_{referral.state}",
                        f"A referral the LIVC sent is now {referral.state}.", link)
        elif effect == "notify_sender" and referral.from_organisation_id is not None:
            notify_organisation(s, referral.from_organisation_id, f"referral_{referral.state}",
                                f"A referral you sent is now {referral.state}.", link,
                                roles=("reference_person", "case_worker"))
        elif effect == "notify_recipient":
            notify_organisation(s, referral.to_organisation_id, f"referral_{referral.state}",
                                f"A referral to your organisation was {referral.state}.", link)
        elif effect == "take_coordination" and referral.kind == "coordination":
            # Coordination moves to the recipient; the former coordinator keeps its own notes.
            case.coordinator_organisation_id = referral.to_organisation_id
            case.coordinator_user_id = None
            chain.record(s, actor, "case:coordination", object_type="case", object_id=case.id,
                         case_id=case.id, purpose=f"to {referral.to_organisation_id}")
        elif effect == "open_partner_pathway":
            org = s.get(Organisation, referral.to_organisation_id)
            assert org is not None
            pathway = workflows.for_organisation_kind(org.kind)
            pp = PartnerPathway(referral_id=referral.id, case_id=case.id,
                                organisation_id=org.id, pathway=pathway.name,
                                pathway_version=pathway.version)
            engine_set_state(pp, pathway.initial)
            s.add(pp)
            s.flush()
            engine.record_initial(s, actor, pp, object_type="partner_pathway",
                                           case_id=case.id)


def partner_pathway(s: Session, actor: Actor, referral_id: uuid.UUID) -> tuple[
        PartnerPathway, Any, Case]:
    referral, case, facts = _load(s, actor, referral_id, "referral:read", lock=True)
    pp = s.scalar(select(PartnerPathway).where(PartnerPathway.referral_id == referral.id))
    if pp is None:
        raise errors.NotFound("This referral has no partner pathway yet (start it first).")
    return pp, facts, case


def get_partner_pathway(s: Session, actor: Actor, referral_id: uuid.UUID) -> dict[str, Any]:
    pp, facts, _case = partner_pathway(s, actor, referral_id)
    # Decided through its referral (above); the read of the pathway goes on the ledger.
    read_each(s, actor, "partner_pathway:read", PartnerPathway, [pp], None, purpose=None)
    return {"pathway": pp, "transitions": engine.available(actor, pp, facts,
                                                                    PARTNER_GUARDS, s)}


def transition_partner_pathway(s: Session, actor: Actor, referral_id: uuid.UUID,
                               data: dict[str, Any], expected_version: int | None) -> Any:
    pp, facts, case = partner_pathway(s, actor, referral_id)
    if facts.referral.state != "active":
        raise errors.Conflict("The referral is no longer active.", state=facts.referral.state)
    engine.fire(s, actor, pp, trigger=data["trigger"], object_type="partner_pathway",
                         resource=facts, guards=PARTNER_GUARDS, case_id=case.id,
                         expected_version=expected_version, reason=data.get("reason"))
    pp.updated_at = clock.now()
    s.flush()
    return pp
