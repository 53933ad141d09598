"""Keeping a meeting's agenda beyond adding to it: taking an item off again, and the cases
whose open actions carry over from earlier meetings (a suggestion for the next agenda).

Adding an item and the proposed cases and reviews due are ``services.add_agenda_item``
and ``services.agenda_suggestions``, as the API calls them.  Services only flush.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies.actor import Actor
from policies.facts import LIVC_STATES
from policies.meetings import LivcFacts
from referral.cases.models import Case
from referral.core import errors
from referral.core.authz import authorize, read_each
from referral.core.ledger import chain
from referral.meetings.access import load_meeting, require_state
from referral.meetings.models import Action, AgendaItem, Decision, FeedbackSheet, Meeting

EDITABLE_STATES = ("planned", "in_session")


def remove_agenda_item(s: Session, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
                       ) -> None:
    """Take a case off the agenda, unless the meeting already decided on it or drafted its
    feedback sheet: those stay tied to the agenda that carried the case."""
    meeting, _facts, decision = load_meeting(s, actor, meeting_id, "meeting:manage", lock=True,
                                             record=False)
    require_state(meeting, EDITABLE_STATES, "Changing the agenda")
    item = s.scalar(select(AgendaItem).where(AgendaItem.id == item_id,
                                             AgendaItem.meeting_id == meeting.id))
    if item is None:
        raise errors.NotFound("No such agenda item.")
    for model in (Decision, FeedbackSheet):
        if s.scalar(select(model.id).where(model.meeting_id == meeting.id,
                                           model.case_id == item.case_id)):
            raise errors.Conflict("The meeting has recorded a decision or a feedback sheet for "
                                  "this case; it stays on the agenda.")
    case_id, position = item.case_id, item.position
    s.delete(item)
    s.flush()
    # The items below move up, so the printed agenda has no gaps.
    for later in s.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                    AgendaItem.position > position)):
        later.position -= 1
    s.flush()
    chain.record(s, actor, "meeting:agenda_remove", object_type="meeting",
                 object_id=meeting.id, case_id=case_id, rule=decision.rule)


def carried_over(s: Session, actor: Actor, meeting: Meeting) -> list[dict[str, Any]]:
    """Cases of the meeting's LIVC still in consultation with actions left open by an earlier
    meeting, not on this agenda yet: how many, and the earliest due date (no descriptions:
    those are material of the meeting that gave them)."""
    decided = authorize(actor, "livc:agenda_suggestions", LivcFacts(meeting.livc_id),
                        object_type="livc", object_id=meeting.livc_id)
    on_agenda = select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id)
    # The meetings whose open actions ``actions.carry_over`` brings onto this one.
    earlier = select(Meeting.id).where(Meeting.livc_id == meeting.livc_id,
                                       Meeting.scheduled_at < meeting.scheduled_at)
    rows = s.execute(
        select(Case, func.count(Action.id), func.min(Action.due))
        .join(Action, Action.case_id == Case.id)
        .where(Case.livc_id == meeting.livc_id, Case._state.in_(LIVC_STATES),
               Case.purged_at.is_(None), Action.status == "open",
               Action.meeting_id.in_(earlier), Case.id.not_in(on_agenda))
        .group_by(Case.id).order_by(func.min(Action.due), Case.id)).all()
    counts: dict[uuid.UUID, tuple[int, date]] = {case.id: (n, due) for case, n, due in rows}
    result = []
    for case, _ in read_each(s, actor, "case:read", Case, [row[0] for row in rows], None,
                             rule=decided.rule, purpose="agenda suggestions"):
        n, due = counts[case.id]
        result.append({"case_id": case.id, "reference": case.reference,
                       "pseudonym": case.subject.pseudonym, "state": case.state,
                       "open_actions": n, "earliest_due": due, "reason": "review"})
    return result
