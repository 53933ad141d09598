"""LIVC meetings: planning (behind the composition gate), attendees, secrecy
acknowledgements, the agenda and its suggestions, the session pathway and the minutes.

Decisions live in ``decisions.py``, feedback sheets in ``feedback.py``, what an
attendee gets to see in ``view.py``.  Services only flush; the request commits.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

import workflows
from policies.actor import Actor
from policies.facts import LIVC_STATES
from policies.meetings import LivcFacts
from policies.vocabulary import clearance_at_least
from referral.accounts.models import RoleAssignment, User
from referral.cases.access import load_case
from referral.cases.models import Case
from referral.core import clock, errors
from referral.core.authz import authorize, read_each
from referral.core.calendar import today as brussels_today
from referral.core.ledger import chain
from referral.identity.keys import create_data_key
from referral.identity.vault import decrypt_field, encrypt_field
from referral.meetings.access import (
    SECRECY_WORDING,
    SECRECY_WORDING_VERSION,
    data_key,
    load_meeting,
    require_state,
    ring,
)
from referral.meetings.feedback import reconsider_drafts
from referral.meetings.models import AgendaItem, Meeting, MeetingAttendee, SecrecyAcknowledgement
from referral.organisations.models import Livc, LivcMember
from referral.pathways import engine
from referral.pathways.models import engine_set_state

MEETING_GUARDS: dict[str, engine.GuardFn] = {
    "minutes_drafted": lambda f: f.row.minutes_ciphertext is not None,
}
OPEN_STATES = ("planned", "in_session")


def _livc(s: Session, livc_id: uuid.UUID) -> Livc:
    livc = s.get(Livc, livc_id)
    if livc is None:
        raise errors.NotFound("No such LIVC.")
    return livc


def composition_gaps(s: Session, livc_id: uuid.UUID) -> list[str]:
    """The fixed members a LIVC still lacks (law of 30 July 2018): chair, police
    information officer cleared at least "secret", coordinator (prevention official)."""
    holders = s.execute(
        select(RoleAssignment.role, User.security_clearance)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.livc_id == livc_id, User.active.is_(True))).all()
    missing = []
    if not any(role == "livc_chair" for role, _ in holders):
        missing.append("chair")
    if not any(role == "police_information_officer" and clearance_at_least(c, "secret")
               for role, c in holders):
        missing.append("police_information_officer")
    if not any(role == "livc_coordinator" for role, _ in holders):
        missing.append("coordinator")
    return missing


def _check_attendees(s: Session, livc_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    """Attendees are active users of member organisations holding a role in this LIVC."""
    members = set(s.scalars(select(LivcMember.organisation_id)
                            .where(LivcMember.livc_id == livc_id)))
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(user_ids)))}
    bad = [str(uid) for uid in user_ids if uid not in users or not users[uid].active
           or users[uid].organisation_id not in members
           or not any(r.livc_id == livc_id for r in users[uid].roles)]
    if bad:
        raise errors.field_error("attendee_user_ids", "Not an active user with a role in this "
                                 "LIVC at a member organisation: " + ", ".join(bad) + ".")


def create_meeting(s: Session, actor: Actor, livc_id: uuid.UUID, data: dict[str, Any]
                   ) -> Meeting:
    livc = _livc(s, livc_id)
    authorize(actor, "meeting:create", LivcFacts(livc.id), object_type="livc",
              object_id=livc.id)
    missing = composition_gaps(s, livc.id)
    if missing:
        raise errors.ValidationFailed(
            {"livc": ["Register the fixed members first; missing: " + ", ".join(missing) + "."]},
            detail="A LIVC plans meetings only once its chair, its police information officer "
                   "(security clearance 'secret') and its coordinator are registered.",
            missing=missing)
    attendee_ids = list(dict.fromkeys(data["attendee_user_ids"]))
    _check_attendees(s, livc.id, attendee_ids)
    key_row, _plain = create_data_key(s, ring())
    meeting = Meeting(livc_id=livc.id, scheduled_at=data["scheduled_at"],
                      location=data.get("location"), created_by_user_id=actor.user_id,
                      data_key_id=key_row.id, pathway="meeting",
                      pathway_version=workflows.latest("meeting").version)
    engine_set_state(meeting, workflows.latest("meeting").initial)
    s.add(meeting)
    s.flush()
    s.add_all(MeetingAttendee(meeting_id=meeting.id, user_id=uid) for uid in attendee_ids)
    engine.record_initial(s, actor, meeting, object_type="meeting", case_id=None)
    s.flush()
    chain.record(s, actor, "meeting:create", object_type="meeting", object_id=meeting.id,
                 rule="meeting_manager", purpose=f"{len(attendee_ids)} attendees")
    return meeting


def add_attendee(s: Session, actor: Actor, meeting_id: uuid.UUID, user_id: uuid.UUID
                 ) -> Meeting:
    meeting, facts, decision = load_meeting(s, actor, meeting_id, "meeting:manage", lock=True,
                                             record=False)
    require_state(meeting, OPEN_STATES, "Inviting an attendee")
    if user_id in facts.attendee_user_ids:
        raise errors.Conflict("This user attends already.")
    _check_attendees(s, meeting.livc_id, [user_id])
    s.add(MeetingAttendee(meeting_id=meeting.id, user_id=user_id))
    s.flush()
    chain.record(s, actor, "meeting:attendee_add", object_type="meeting", object_id=meeting.id,
                 rule=decision.rule, purpose=f"user {user_id}")
    return meeting


def set_presence(s: Session, actor: Actor, meeting_id: uuid.UUID, user_id: uuid.UUID,
                 present: bool) -> Meeting:

    meeting, _facts, decision = load_meeting(s, actor, meeting_id, "meeting:manage", lock=True,
                                             record=False)
    require_state(meeting, (*OPEN_STATES, "held"), "Recording presence")
    row = s.get(MeetingAttendee, (meeting.id, user_id))
    if row is None:
        raise errors.NotFound("No such attendee.")
    row.present = present
    s.flush()
    chain.record(s, actor, "meeting:presence", object_type="meeting", object_id=meeting.id,
                 rule=decision.rule, purpose=f"user {user_id} {'present' if present else 'absent'}")
    # Marking someone absent may complete the consensus of a draft feedback sheet.
    reconsider_drafts(s, actor, meeting)
    return meeting


def acknowledge(s: Session, actor: Actor, meeting_id: uuid.UUID) -> dict[str, Any]:
    meeting, facts, decision = load_meeting(s, actor, meeting_id, "meeting:acknowledge",
                                               record=False)
    if meeting.state == "cancelled":
        raise errors.Conflict("The meeting was cancelled.", state=meeting.state)
    if actor.user_id in facts.acknowledged_user_ids:
        raise errors.Conflict("You acknowledged the secrecy duty for this meeting already.")
    ack = SecrecyAcknowledgement(meeting_id=meeting.id, user_id=actor.user_id,
                                 wording_version=SECRECY_WORDING_VERSION)
    s.add(ack)
    s.flush()
    chain.record(s, actor, "meeting:acknowledge", object_type="meeting", object_id=meeting.id,
                 rule=decision.rule, purpose=f"art. 458ter §2 wording v{SECRECY_WORDING_VERSION}")
    return {"id": ack.id, "meeting_id": meeting.id, "user_id": actor.user_id,
            "wording_version": ack.wording_version, "wording": SECRECY_WORDING,
            "acknowledged_at": ack.acknowledged_at}


def add_agenda_item(s: Session, actor: Actor, meeting_id: uuid.UUID, data: dict[str, Any]
                    ) -> dict[str, Any]:
    meeting, _facts, decision = load_meeting(s, actor, meeting_id, "meeting:manage", lock=True,
                                             record=False)
    require_state(meeting, OPEN_STATES, "Changing the agenda")
    # Without a relation to the case the manager gets 404, as anywhere else.
    case, _case_facts, _ = load_case(s, actor, data["case_id"], "case:read")
    if case.livc_id != meeting.livc_id:
        raise errors.field_error("case_id", "A case is discussed only in its own LIVC.")
    if s.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                            AgendaItem.case_id == case.id)):
        raise errors.Conflict("The case is on this agenda already.")
    position = (s.scalar(select(func.max(AgendaItem.position))
                         .where(AgendaItem.meeting_id == meeting.id)) or 0) + 1
    item = AgendaItem(meeting_id=meeting.id, case_id=case.id, reason=data["reason"],
                      position=position, added_by_user_id=actor.user_id)
    s.add(item)
    s.flush()
    chain.record(s, actor, "meeting:agenda_add", object_type="meeting", object_id=meeting.id,
                 case_id=case.id, rule=decision.rule, purpose=data["reason"])
    return {"id": item.id, "case_id": case.id, "pseudonym": case.subject.pseudonym,
            "reason": item.reason, "position": item.position, "access": "material"}


def agenda_suggestions(s: Session, actor: Actor, livc_id: uuid.UUID, on: date | None
                       ) -> list[dict[str, Any]]:
    """Proposed cases (new), and cases whose review falls due by ``on`` or is overdue."""
    livc = _livc(s, livc_id)
    decision = authorize(actor, "livc:agenda_suggestions", LivcFacts(livc.id),
                         object_type="livc", object_id=livc.id)
    today = brussels_today()
    on = on or today
    rows = s.scalars(select(Case).where(
        Case.livc_id == livc.id, Case._state.in_(LIVC_STATES), Case.purged_at.is_(None),
        or_(Case._state == "proposed", Case.next_review_due <= on,
            Case.next_review_due < today))
        .order_by(Case.next_review_due.is_(None).desc(), Case.next_review_due, Case.opened_at))
    result = []
    for case, _ in read_each(s, actor, "case:read", Case, rows, None, rule=decision.rule,
                             purpose="agenda suggestions"):
        due = case.next_review_due
        result.append({"case_id": case.id, "reference": case.reference,
                       "pseudonym": case.subject.pseudonym, "state": case.state,
                       "next_review_due": due,
                       "reason": "new" if case.state == "proposed" else "review",
                       "overdue": due is not None and due < today})
    return result


def transition_meeting(s: Session, actor: Actor, meeting_id: uuid.UUID, data: dict[str, Any],
                       expected_version: int | None) -> Meeting:
    meeting, facts, _ = load_meeting(s, actor, meeting_id, "meeting:read", lock=True,
                                   record=False)
    firing = engine.fire(
        s, actor, meeting, trigger=data["trigger"], object_type="meeting", resource=facts,
        guards=MEETING_GUARDS, case_id=None, expected_version=expected_version,
        reason=data.get("reason"))
    if firing.transition.dest == "minutes_approved":
        meeting.minutes_approved_at = clock.now()
        meeting.minutes_approved_by_user_id = actor.user_id
    s.flush()
    return meeting


def minutes(meeting: Meeting, text: str | None) -> dict[str, Any]:
    return {"meeting_id": meeting.id, "state": meeting.state, "version": meeting.version,
            "text": text, "drafted_by_user_id": meeting.minutes_drafted_by_user_id,
            "approved_by_user_id": meeting.minutes_approved_by_user_id,
            "approved_at": meeting.minutes_approved_at}


def draft_minutes(s: Session, actor: Actor, meeting_id: uuid.UUID, text: str,
                  expected_version: int | None) -> dict[str, Any]:
    meeting, _facts, decision = load_meeting(s, actor, meeting_id, "meeting:draft_minutes",
                                             lock=True, record=False)
    if meeting.state == "minutes_approved":
        raise errors.Conflict("The minutes are approved and can no longer change.",
                              state=meeting.state, current_version=meeting.version)
    require_state(meeting, ("in_session", "held"), "Drafting the minutes")
    if expected_version is not None and expected_version != meeting.version:
        raise errors.Conflict("The meeting was changed in the meantime.",
                              current_version=meeting.version)
    meeting.minutes_ciphertext = encrypt_field(data_key(s, meeting.data_key_id), text,
                                               table="meetings", column="minutes",
                                               row_id=meeting.id)
    meeting.minutes_drafted_by_user_id = actor.user_id
    s.flush()
    chain.record(s, actor, "meeting:draft_minutes", object_type="meeting",
                 object_id=meeting.id, rule=decision.rule)
    return minutes(meeting, text)


def read_minutes(s: Session, actor: Actor, meeting_id: uuid.UUID) -> dict[str, Any]:
    meeting, _facts, _decision = load_meeting(s, actor, meeting_id, "meeting:material",
                                              event="meeting:read_minutes")
    text = None
    if meeting.minutes_ciphertext is not None:
        text = decrypt_field(data_key(s, meeting.data_key_id), meeting.minutes_ciphertext,
                             table="meetings", column="minutes", row_id=meeting.id)
    return minutes(meeting, text)
