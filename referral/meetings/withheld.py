"""The right to speak without the duty to: "holds information, not shared".

An attendee who acknowledged the secrecy duty for a meeting may record, for a case on its
agenda, that their organisation holds relevant information it decides not to share, with
a reason category (``policies.vocabulary.WITHHELD_REASONS``) and never content.  The
other acknowledged attendees see which organisation did, nothing more: the category is
the recording organisation's own, and the ledger's.  Nothing asks for a notice and nothing
waits for one.  Services only flush; the request commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.core import errors
from referral.core.authz import Reachable, read_each, register
from referral.core.ledger import chain
from referral.core.transaction import denial
from referral.meetings.access import load_meeting, meeting_facts, require_state
from referral.meetings.models import AgendaItem, Meeting, WithheldNotice
from referral.organisations.models import Organisation

RECORDING_STATES = ("planned", "in_session")
MISSING = "No such case on this meeting's agenda."


def _fetch(s: Session, notice_id: Any, lock: bool) -> WithheldNotice | None:
    stmt = select(WithheldNotice).where(WithheldNotice.id == notice_id)
    return s.scalar(stmt.with_for_update() if lock else stmt)


def _facts(s: Session, notice: WithheldNotice) -> Any:
    meeting = s.get(Meeting, notice.meeting_id)
    assert meeting is not None
    return meeting_facts(s, meeting)


register(WithheldNotice, Reachable(object_type="withheld_notice", fetch=_fetch, facts=_facts,
                                   case_id=lambda n: n.case_id, missing=MISSING))


def _render(notice: WithheldNotice, names: dict[uuid.UUID, str], actor: Actor
            ) -> dict[str, Any]:
    own = notice.organisation_id == actor.organisation_id
    return {"id": notice.id, "meeting_id": notice.meeting_id, "case_id": notice.case_id,
            "organisation_id": notice.organisation_id,
            "organisation_name": names.get(notice.organisation_id),
            "recorded_at": notice.recorded_at, "own": own,
            "reason_category": notice.reason_category if own else None}


def _names(s: Session, notices: list[WithheldNotice]) -> dict[uuid.UUID, str]:
    return dict(s.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({n.organisation_id for n in notices}))).all())


def record_withheld(s: Session, actor: Actor, meeting_id: uuid.UUID, data: dict[str, Any]
                    ) -> dict[str, Any]:
    """``POST /api/v1/meetings/{id}/withheld``: 404 when the case is not on the agenda,
    409 once the meeting is over or when the organisation said so already."""
    meeting, _facts, decision = load_meeting(s, actor, meeting_id, "meeting:record_withheld",
                                             lock=True, record=False)
    case_id = data["case_id"]
    if s.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                            AgendaItem.case_id == case_id)) is None:
        raise errors.NotFound(MISSING, _audit=denial(
            actor, "meeting:record_withheld", "no_relation", object_type="case",
            object_id=case_id, case_id=None))
    require_state(meeting, RECORDING_STATES, "Recording that information is not shared")
    assert actor.user_id is not None
    assert actor.organisation_id is not None
    if s.scalar(select(WithheldNotice.id).where(
            WithheldNotice.meeting_id == meeting.id, WithheldNotice.case_id == case_id,
            WithheldNotice.organisation_id == actor.organisation_id)) is not None:
        raise errors.Conflict("Your organisation recorded this for this case and meeting "
                              "already.")
    notice = WithheldNotice(meeting_id=meeting.id, case_id=case_id,
                            organisation_id=actor.organisation_id,
                            reason_category=data["reason_category"],
                            recorded_by_user_id=actor.user_id)
    s.add(notice)
    s.flush()
    chain.record(s, actor, "meeting:record_withheld", object_type="withheld_notice",
                 object_id=notice.id, case_id=case_id, rule=decision.rule,
                 purpose=f"meeting {meeting.id}: {notice.reason_category}")
    return _render(notice, _names(s, [notice]), actor)


def list_withheld(s: Session, actor: Actor, meeting_id: uuid.UUID) -> list[dict[str, Any]]:
    """The meeting's notices, for its acknowledged attendees: which organisation holds
    information it did not share on which case (the category only for its own)."""
    meeting, _facts, decision = load_meeting(s, actor, meeting_id, "meeting:read_withheld")
    rows = list(s.scalars(select(WithheldNotice).where(WithheldNotice.meeting_id == meeting.id)
                          .order_by(WithheldNotice.recorded_at, WithheldNotice.id)))
    # Decided once for the meeting: every notice listed is this meeting's.
    read_each(s, actor, "meeting:read_withheld", WithheldNotice, rows, None,
              rule=decision.rule, purpose=f"meeting {meeting.id}")
    names = _names(s, rows)
    return [_render(n, names, actor) for n in rows]
