"""What a meeting shows, and to whom.

Everyone related to the meeting sees its agenda as pseudonyms and reasons.  An
attendee who acknowledged the secrecy duty for this meeting also sees, per case:
the header, the notes their authors disclosed to the LIVC, the open referrals
and partner pathways as states only, previous decisions and open actions.  Never
the identity, never an undisclosed note, never a police note.  Every read of
material is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
import workflows
from policies.actor import Actor
from policies.cases import is_livc
from policies.meetings import MeetingFacts
from referral.accounts.models import User
from referral.cases.access import case_facts, note_facts
from referral.cases.models import Case
from referral.cases.notes.models import Disclosure, Note
from referral.cases.referrals.models import PartnerPathway, Referral
from referral.cases.services import header
from referral.core.authz import read_if_allowed
from referral.identity.vault import decrypt_field
from referral.meetings.access import (
    SECRECY_WORDING,
    SECRECY_WORDING_VERSION,
    data_key,
    load_meeting,
)
from referral.meetings.models import (
    Action,
    AgendaItem,
    Decision,
    FeedbackSheet,
    Meeting,
    MeetingAttendee,
    SecrecyAcknowledgement,
)


def _attendees(s: Session, meeting: Meeting) -> list[dict[str, Any]]:
    # .all(): a Result has keys() and would be taken for a mapping by dict().
    acks = dict(s.execute(
        select(SecrecyAcknowledgement.user_id, SecrecyAcknowledgement.acknowledged_at)
        .where(SecrecyAcknowledgement.meeting_id == meeting.id)).all())
    rows = s.execute(select(MeetingAttendee, User).join(User, User.id == MeetingAttendee.user_id)
                     .where(MeetingAttendee.meeting_id == meeting.id)
                     .order_by(User.display_name))
    return [{"user_id": u.id, "display_name": u.display_name,
             "organisation_id": u.organisation_id, "present": a.present,
             "acknowledged_at": acks.get(u.id)} for a, u in rows]


def summary(s: Session, meeting: Meeting) -> dict[str, Any]:
    """The meeting without any case data (what its creation and transitions return)."""
    return {"id": meeting.id, "livc_id": meeting.livc_id, "scheduled_at": meeting.scheduled_at,
            "location": meeting.location, "state": meeting.state, "version": meeting.version,
            "created_at": meeting.created_at, "attendees": _attendees(s, meeting),
            "secrecy_wording": SECRECY_WORDING,
            "secrecy_wording_version": SECRECY_WORDING_VERSION,
            "minutes_drafted": meeting.minutes_ciphertext is not None,
            "minutes_approved_at": meeting.minutes_approved_at}


def agenda_items(s: Session, meeting: Meeting) -> list[tuple[AgendaItem, Case]]:
    return list(s.execute(select(AgendaItem, Case).join(Case, Case.id == AgendaItem.case_id)
                          .where(AgendaItem.meeting_id == meeting.id)
                          .order_by(AgendaItem.position, AgendaItem.added_at)))


def decision_text(s: Session, case: Case, d: Decision) -> str:
    if d.text_ciphertext is None:
        return ""
    return decrypt_field(data_key(s, case.data_key_id), d.text_ciphertext, table="decisions",
                         column="text", row_id=d.id)


def render_action(a: Action) -> dict[str, Any]:
    return {c: getattr(a, c) for c in ("id", "decision_id", "meeting_id", "case_id",
                                       "organisation_id", "description", "due", "done_at",
                                       "status", "status_reason", "version")}


def render_decision(s: Session, case: Case, d: Decision) -> dict[str, Any]:
    return {"id": d.id, "meeting_id": d.meeting_id, "case_id": d.case_id,
            "decision": d.decision, "text": decision_text(s, case, d),
            "coordinator_organisation_id": d.coordinator_organisation_id,
            "decided_by_user_id": d.decided_by_user_id, "decided_at": d.decided_at}


def _shared_notes(s: Session, actor: Actor, meeting: Meeting, case: Case, facts: Any
                  ) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Note, Disclosure).join(Disclosure, Disclosure.note_id == Note.id)
        .where(Note.case_id == case.id, Note.compartment == "internal",
               Disclosure.audience == "livc", Disclosure.revoked_at.is_(None))
        .order_by(Note.created_at, Note.id))
    result = []
    key = None
    for note, disclosure in rows:
        # The general note rule must agree; if it does not, the note stays hidden.
        if read_if_allowed(s, actor, "note:read", Note, note, note_facts(s, note, facts),
                           purpose=f"meeting {meeting.id}") is None:
            continue
        key = key or data_key(s, case.data_key_id)
        body = decrypt_field(key, note.body_ciphertext or b"", table="notes", column="body",
                             row_id=note.id)
        result.append({"id": note.id, "author_organisation_id": note.author_organisation_id,
                       "created_at": note.created_at, "body": body,
                       "disclosure": {"purpose": disclosure.purpose,
                                      "legal_basis": disclosure.legal_basis,
                                      "disclosed_at": disclosure.created_at}})
    return result


def _referral_states(s: Session, case: Case) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Referral, PartnerPathway)
        .outerjoin(PartnerPathway, PartnerPathway.referral_id == Referral.id)
        .where(Referral.case_id == case.id,
               Referral._state.in_(workflows.OPEN_REFERRAL_STATES))
        .order_by(Referral.offered_at))
    # States only: purpose, reasons and outcomes belong to the partners.
    return [{"id": r.id, "to_organisation_id": r.to_organisation_id, "kind": r.kind,
             "sphere_of_life": r.sphere_of_life, "state": r.state,
             "partner_pathway": pp.pathway if pp else None,
             "partner_pathway_state": pp.state if pp else None} for r, pp in rows]


def case_material(s: Session, actor: Actor, meeting: Meeting, case: Case
                  ) -> dict[str, Any] | None:
    """The case as the consultation sees it, or None once the case left the LIVC."""
    facts = case_facts(s, case)
    # The consultation's access ends when the case leaves the LIVC states.
    decision = read_if_allowed(s, actor, "case:read", Case, case, facts,
                               event="meeting:material", rule="secrecy_acknowledged",
                               purpose=f"meeting {meeting.id}", also=is_livc(actor, facts))
    if decision is None:
        return None
    decisions = s.scalars(select(Decision).where(Decision.case_id == case.id)
                          .order_by(Decision.decided_at, Decision.id))
    actions = s.scalars(select(Action).where(Action.case_id == case.id,
                                             Action.status == "open").order_by(Action.due))
    return {"case": header(case, decision.rule),
            "notes": _shared_notes(s, actor, meeting, case, facts),
            "referrals": _referral_states(s, case),
            "decisions": [render_decision(s, case, d) for d in decisions],
            "open_actions": [render_action(a) for a in actions]}


def _acknowledged(actor: Actor, facts: MeetingFacts) -> bool:
    return policies.decide(actor, "meeting:material", facts).allowed


def view_meeting(s: Session, actor: Actor, meeting_id: uuid.UUID) -> dict[str, Any]:
    meeting, facts, _decision = load_meeting(
        s, actor, meeting_id, "meeting:read",
        purpose=lambda f: "material" if _acknowledged(actor, f) else "agenda")
    acknowledged = _acknowledged(actor, facts)
    data = summary(s, meeting)
    data["acknowledged"] = acknowledged
    data["agenda"] = []
    for item, case in agenda_items(s, meeting):
        entry: dict[str, Any] = {"id": item.id, "pseudonym": case.subject.pseudonym,
                                 "reason": item.reason, "position": item.position,
                                 "access": "pseudonym_only"}
        if acknowledged:
            material = case_material(s, actor, meeting, case)
            entry.update(case_id=case.id, material=material,
                         access="material" if material else "ended")
        data["agenda"].append(entry)
    if acknowledged:
        data["feedback_sheets"] = [
            {"id": i, "case_id": c, "state": st} for i, c, st in s.execute(
                select(FeedbackSheet.id, FeedbackSheet.case_id, FeedbackSheet.state)
                .where(FeedbackSheet.meeting_id == meeting.id)
                .order_by(FeedbackSheet.created_at))]
    return data
