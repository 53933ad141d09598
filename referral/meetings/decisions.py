"""LIVC decisions and the actions they give to organisations (their follow-through is in
``actions.py``).

A decision is recorded for a case on the agenda while the meeting is in session,
and fires the case transition it implies in the same transaction: if the case's
state or a guard refuses, the request fails and nothing is recorded (services
only flush; the request commits once).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import workflows
from policies.actor import Actor
from policies.facts import LIVC_STATES
from referral.cases.access import case_facts
from referral.cases.models import Case
from referral.cases.referrals.services import create_referral
from referral.cases.services import transition_case
from referral.core import clock, errors
from referral.core.authz import authorize
from referral.core.calendar import next_working_day
from referral.core.calendar import today as brussels_today
from referral.core.ledger import chain
from referral.identity.vault import encrypt_field
from referral.meetings.access import data_key, load_meeting, require_state
from referral.meetings.actions import record_given
from referral.meetings.models import Action, AgendaItem, Decision, Meeting
from referral.meetings.workspace import render_action
from referral.notifications.services import notify_organisation
from referral.organisations.models import Livc, LivcMember
from referral.pathways import engine
from referral.pathways.models import TransitionRecord

# Decisions that are a transition of the disengagement pathway.
TRIGGER_OF = {"start_programme": "start_guidance", "no_livc_case": "no_livc_case",
              "step_down": "step_down", "close": "close"}
# Decisions that leave the state as it is, and the states they apply to.
STATES_OF = {"continue": ("guidance", "aftercare"), "adjust": ("guidance", "aftercare"),
             "refer": LIVC_STATES}
# Fields that belong to one kind of decision only (sent with another: a mistake, 422).
FIELD_OF = {"coordinator_organisation_id": "start_programme", "outcome": "close",
            "referrals": "refer"}


def _members(s: Session, livc_id: uuid.UUID) -> set[uuid.UUID]:
    return set(s.scalars(select(LivcMember.organisation_id).where(LivcMember.livc_id == livc_id)))


def _validate(s: Session, meeting: Meeting, data: dict[str, Any]) -> None:
    kind, problems = data["decision"], {}
    for field, owner in FIELD_OF.items():
        if data.get(field) and kind != owner:
            problems[field] = [f"Only a {owner} decision takes this field."]
    members = _members(s, meeting.livc_id)
    if kind == "start_programme" and data.get("coordinator_organisation_id") not in members:
        problems["coordinator_organisation_id"] = [
            "Starting a programme appoints a coordinating member organisation."]
    if kind == "close" and not (data.get("outcome") or "").strip():
        problems["outcome"] = ["Closing a case needs an outcome."]
    if kind == "refer" and not data.get("referrals"):
        problems["referrals"] = ["A refer decision names the referrals to offer."]
    today = clock.now().date()
    for i, action in enumerate(data.get("actions") or []):
        if action["organisation_id"] not in members:
            problems[f"actions.{i}.organisation_id"] = ["Give the action to a member "
                                                         "organisation."]
        if action["due"] < today:
            problems[f"actions.{i}.due"] = ["The due date has passed."]
    if problems:
        raise errors.ValidationFailed(problems)


def _check_state(case: Case, kind: str) -> None:
    """409 with the reason when the case's state does not allow this decision."""
    if kind in TRIGGER_OF:
        pathway = workflows.get(case.pathway, case.pathway_version)
        allowed = bool(engine.candidates(pathway, TRIGGER_OF[kind], case.state))
    else:
        allowed = case.state in STATES_OF[kind]
    if not allowed:
        raise errors.Conflict(f"A '{kind}' decision is not possible for a case in state "
                              f"'{case.state}'.", state=case.state, decision=kind)


def _history_row(actor: Actor, case: Case, kind: str, reason: str,
                 extra: dict[str, Any]) -> TransitionRecord:
    """A timeline entry for a decision that keeps the state (continue, adjust, refer)."""
    return TransitionRecord(
        object_type="case", object_id=case.id, case_id=case.id, pathway=case.pathway,
        pathway_version=case.pathway_version, trigger=kind, from_state=case.state,
        to_state=case.state, actor_user_id=actor.user_id,
        actor_organisation_id=actor.organisation_id, reason=reason, **extra)


def record_decision(s: Session, actor: Actor, meeting_id: uuid.UUID, data: dict[str, Any]
                    ) -> dict[str, Any]:
    meeting, _facts, decided = load_meeting(s, actor, meeting_id, "meeting:decide", lock=True,
                                              record=False)
    require_state(meeting, ("in_session",), "Recording a decision")
    if not s.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                                AgendaItem.case_id == data["case_id"])):
        raise errors.field_error("case_id", "The case is not on this meeting's agenda.")
    case = s.scalar(select(Case).where(Case.id == data["case_id"]).with_for_update())
    assert case is not None
    kind = data["decision"]
    _validate(s, meeting, data)
    _check_state(case, kind)
    if kind not in TRIGGER_OF:
        # Transitions check case:livc_decide in the engine; the others here.
        authorize(actor, "case:livc_decide", case_facts(s, case), object_type="case",
                  object_id=case.id, case_id=case.id)
    decision = Decision(id=uuid.uuid4(), meeting_id=meeting.id, case_id=case.id, decision=kind,
                        coordinator_organisation_id=data.get("coordinator_organisation_id"),
                        decided_by_user_id=actor.user_id)
    decision.text_ciphertext = encrypt_field(data_key(s, case.data_key_id), data["text"],
                                             table="decisions", column="text",
                                             row_id=decision.id)
    s.add(decision)
    s.flush()
    extra = {"meeting_id": meeting.id, "decision_id": decision.id}
    reason = f"LIVC decision {kind} (meeting of {meeting.scheduled_at.date().isoformat()})"
    livc = s.get(Livc, meeting.livc_id)
    assert livc is not None
    review_due = next_working_day(brussels_today() + timedelta(days=livc.review_interval_days))
    referral_ids: list[uuid.UUID] = []
    appointed = decision.coordinator_organisation_id
    if kind == "start_programme":
        # Coordination is a hand-off like any other: an organisation other than the owner is
        # offered a coordination referral and coordinates (gains a relation) only once it
        # accepts it; until then the owner coordinates.
        coordinator = (appointed if appointed == case.owner_organisation_id
                       else case.owner_organisation_id)
        if case.coordinator_organisation_id != coordinator:
            case.coordinator_user_id = None
        case.coordinator_organisation_id = coordinator
    if kind in TRIGGER_OF:
        transition_case(s, actor, case.id, {"trigger": TRIGGER_OF[kind], "reason": reason,
                                            "outcome": data.get("outcome")}, None, extra=extra)
    else:
        s.add(_history_row(actor, case, kind, reason, extra))
        chain.record(s, actor, "case:livc_decision", object_type="case", object_id=case.id,
                     case_id=case.id, rule="livc_chair_or_coordinator", purpose=kind)
    if kind in {"start_programme", "continue", "adjust"}:
        # Reviews follow the LIVC's own interval while the case is in guidance.
        case.next_review_due = review_due
    specs = list(data.get("referrals") or [])
    if kind == "start_programme" and appointed != case.owner_organisation_id:
        specs.append({"to_organisation_id": appointed, "kind": "coordination",
                      "purpose": "Coordinate the guidance programme (LIVC decision)."})
    for spec in specs:
        made = create_referral(s, actor, case.id, spec, on_behalf_of_livc=True,
                               meeting_id=meeting.id)
        referral_ids.append(made["id"])
    if kind == "start_programme" and appointed == case.owner_organisation_id:
        notify_organisation(s, appointed, "livc_coordination",
                            "By LIVC decision your organisation coordinates a case.",
                            f"/api/v1/cases/{case.id}")
    actions = [Action(decision_id=decision.id, meeting_id=meeting.id, case_id=case.id,
                      organisation_id=a["organisation_id"], description=a["description"],
                      due=a["due"]) for a in data.get("actions") or []]
    s.add_all(actions)
    s.flush()
    record_given(s, actor, meeting.id, actions)
    for org_id in {a.organisation_id for a in actions}:
        notify_organisation(s, org_id, "livc_action", "The LIVC gave your organisation an "
                            "action.", "/api/v1/actions",
                            roles=("reference_person", "livc_member", "livc_coordinator"))
    s.flush()
    chain.record(s, actor, "meeting:decide", object_type="decision", object_id=decision.id,
                 case_id=case.id, rule=decided.rule, purpose=kind)
    return {"id": decision.id, "meeting_id": meeting.id, "case_id": case.id, "decision": kind,
            "text": data["text"], "coordinator_organisation_id":
            decision.coordinator_organisation_id, "decided_by_user_id": actor.user_id,
            "decided_at": decision.decided_at, "case_state": case.state,
            "next_review_due": case.next_review_due,
            "actions": [render_action(a) for a in actions], "referral_ids": referral_ids}
