"""Loading meetings with their policy facts, and the keys their material is sealed with."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor, Decision
from policies.meetings import MeetingFacts
from referral.core import errors
from referral.core.authz import Reachable, load_for, register
from referral.identity.errors import KeyDestroyed
from referral.identity.keys import load_data_key, ring_for
from referral.identity.vault import KeyRing
from referral.meetings.models import Meeting, MeetingAttendee, SecrecyAcknowledgement

# Shown in the UI and returned by the API; its version is stored with each acknowledgement.
SECRECY_WORDING_VERSION = 1
SECRECY_WORDING = (
    "I acknowledge that what is shared in this LIVC case consultation falls under shared "
    "professional secrecy (art. 458ter of the Criminal Code). I use it only for the purpose of "
    "this consultation - the prevention of violent radicalisation through socio-preventive "
    "guidance of the person - and disclose it to no one outside it, my own organisation "
    "included. I may speak in the consultation; I am never obliged to."
)


def ring() -> KeyRing:
    return ring_for(current_app._get_current_object())  # type: ignore[attr-defined]


def data_key(s: Session, key_id: uuid.UUID) -> bytes:
    try:
        return load_data_key(s, ring(), key_id)
    except KeyDestroyed:
        raise errors.Gone("This content was destroyed at the end of retention.") from None


def meeting_facts(s: Session, m: Meeting) -> MeetingFacts:
    attendees = s.execute(select(MeetingAttendee.user_id, MeetingAttendee.present)
                          .where(MeetingAttendee.meeting_id == m.id)).all()
    acknowledged = frozenset(s.scalars(select(SecrecyAcknowledgement.user_id).where(
        SecrecyAcknowledgement.meeting_id == m.id)))
    return MeetingFacts(
        id=m.id, livc_id=m.livc_id, state=m.state,
        attendee_user_ids=frozenset(uid for uid, _ in attendees),
        present_user_ids=frozenset(uid for uid, present in attendees if present),
        acknowledged_user_ids=acknowledged)


def _fetch_meeting(s: Session, meeting_id: Any, lock: bool) -> Meeting | None:
    stmt = select(Meeting).where(Meeting.id == meeting_id)
    return s.scalar(stmt.with_for_update() if lock else stmt)


def probe_meeting_facts(s: Session, meeting_id: Any) -> None:
    """The statements of :func:`meeting_facts`, for an id with no meeting."""
    meeting_facts(s, Meeting(id=meeting_id))


register(Meeting, Reachable(object_type="meeting", fetch=_fetch_meeting, facts=meeting_facts,
                            case_id=lambda _m: None, missing="No such meeting.",
                            probe=probe_meeting_facts))


def load_meeting(s: Session, actor: Actor, meeting_id: uuid.UUID, action: str, *,
                 lock: bool = False, record: bool = True, event: str | None = None,
                 purpose: str | Callable[[MeetingFacts], str] | None = None
                 ) -> tuple[Meeting, MeetingFacts, Decision]:
    """The meeting if ``action`` is allowed (:func:`referral.core.authz.load_for`); 404
    without relation, 403 with the rule; the read on the ledger as ``event``."""
    loaded = load_for(s, actor, action, Meeting, meeting_id, lock=lock, record=record,
                      event=event, purpose=purpose)
    return loaded.row, loaded.facts, loaded.decision


def require_state(meeting: Meeting, states: tuple[str, ...], what: str) -> None:
    if meeting.state not in states:
        raise errors.Conflict(f"{what} is possible only while the meeting is "
                              f"{' or '.join(states)}; it is {meeting.state}.",
                              state=meeting.state, current_version=meeting.version)
