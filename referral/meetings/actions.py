"""Actions that follow through: their status, their history, who sees them, and their
carry-over onto the next meetings of their LIVC.

An action a LIVC decision gives to an organisation stays open until the owner
organisation's case roles or the LIVC's chair or coordinator say it is done, not possible
or not done (the last two with the reason why).  Each change needs the version the client
saw (409 when stale), adds a row to the action's history and an event to the ledger, whose
purpose names the statuses and never the reason's text.

Carry-over is computed when a meeting's actions are read (:func:`meeting_actions`: the
agenda page and ``GET /api/v1/meetings/{id}/actions``) and when a status changes while a
meeting is in session: every action of the LIVC decided at an earlier meeting and still
open is put on that meeting (planned or in session) once, idempotently.  Reading, not
planning, is the moment because an action can close or be decided between planning and
the meeting, and the meeting shows what is open when it is prepared and held.  A status
change made while a meeting that carries the action is in session is that meeting's
review: its history entry keeps the meeting's id.  Services only flush; the request
commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from policies.action_scope import action_condition
from policies.actor import Actor
from policies.meetings import ActionFacts
from policies.vocabulary import ACTION_STATUSES_WITH_REASON
from referral.core import clock, errors
from referral.core.authz import Reachable, load_for, read_each, register
from referral.core.db import paginate
from referral.core.ledger import chain
from referral.meetings.access import load_meeting
from referral.meetings.models import (
    Action,
    ActionCarryOver,
    ActionEvent,
    Meeting,
    SecrecyAcknowledgement,
)
from referral.meetings.workspace import render_action
from referral.organisations.models import Organisation

BRUSSELS = ZoneInfo("Europe/Brussels")
CARRYING_STATES = ("planned", "in_session")
REASON_REQUIRED = ("Missing data for required field. Say why the action was not possible or "
                   "not done.")


def today() -> date:
    """Due dates are Brussels days: an action due today is overdue from tomorrow there."""
    return clock.now().astimezone(BRUSSELS).date()


# -- who sees an action ---------------------------------------------------------------

_LIVC_OF_MEETING = select(Meeting.livc_id).where(Meeting.id == bindparam("meeting_id"))
_ACKNOWLEDGED = select(SecrecyAcknowledgement.user_id).where(or_(
    SecrecyAcknowledgement.meeting_id == bindparam("meeting_id"),
    SecrecyAcknowledgement.meeting_id.in_(
        select(ActionCarryOver.meeting_id)
        .where(ActionCarryOver.action_id == bindparam("action_id")))))


def _action_facts(s: Session, action: Action) -> ActionFacts:
    livc_id = s.scalar(_LIVC_OF_MEETING, {"meeting_id": action.meeting_id})
    assert livc_id is not None
    acknowledged = frozenset(s.scalars(_ACKNOWLEDGED, {"meeting_id": action.meeting_id,
                                                       "action_id": action.id}))
    return ActionFacts(organisation_id=action.organisation_id, livc_id=livc_id,
                       done=action.status == "done", acknowledged_user_ids=acknowledged)


def _probe_action(s: Session, action_id: Any) -> None:
    """The statements of :func:`_action_facts`, for an id with no action."""
    s.scalar(_LIVC_OF_MEETING, {"meeting_id": action_id})
    s.scalars(_ACKNOWLEDGED, {"meeting_id": action_id, "action_id": action_id}).all()


def _fetch_action(s: Session, action_id: Any, lock: bool) -> Action | None:
    stmt = select(Action).where(Action.id == action_id)
    return s.scalar(stmt.with_for_update() if lock else stmt)


register(Action, Reachable(object_type="action", fetch=_fetch_action, facts=_action_facts,
                           case_id=lambda a: a.case_id, missing="No such action.",
                           probe=_probe_action))


def facts_of(s: Session, rows: Iterable[Action]) -> dict[uuid.UUID, ActionFacts]:
    """:func:`_action_facts` for a page of actions in three statements, not two per row."""
    rows = list(rows)
    ids = [a.id for a in rows]
    carried = s.execute(select(ActionCarryOver.action_id, ActionCarryOver.meeting_id)
                        .where(ActionCarryOver.action_id.in_(ids))).all()
    meetings_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for a in rows:
        meetings_of[a.id].add(a.meeting_id)
    for action_id, meeting_id in carried:
        meetings_of[action_id].add(meeting_id)
    every_meeting = {m for ms in meetings_of.values() for m in ms}
    livc_of = dict(s.execute(select(Meeting.id, Meeting.livc_id)
                             .where(Meeting.id.in_({a.meeting_id for a in rows}))).all())
    acknowledged: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for meeting_id, user_id in s.execute(
            select(SecrecyAcknowledgement.meeting_id, SecrecyAcknowledgement.user_id)
            .where(SecrecyAcknowledgement.meeting_id.in_(every_meeting))):
        acknowledged[meeting_id].add(user_id)
    return {a.id: ActionFacts(
        organisation_id=a.organisation_id, livc_id=livc_of[a.meeting_id],
        done=a.status == "done",
        acknowledged_user_ids=frozenset(u for m in meetings_of[a.id] for u in acknowledged[m]))
        for a in rows}


# -- what an action looks like ------------------------------------------------------------

def _names(s: Session, org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    return dict(s.execute(select(Organisation.id, Organisation.name)
                          .where(Organisation.id.in_(set(org_ids)))).all())


def render(a: Action, facts: ActionFacts, names: dict[uuid.UUID, str], on: date
           ) -> dict[str, Any]:
    return {**render_action(a), "livc_id": facts.livc_id,
            "organisation_name": names.get(a.organisation_id),
            "status_changed_at": a.status_changed_at,
            "overdue": a.status == "open" and a.due < on}


def _render_all(s: Session, rows: list[Action], facts: dict[uuid.UUID, ActionFacts]
                ) -> list[dict[str, Any]]:
    names, on = _names(s, (a.organisation_id for a in rows)), today()
    return [render(a, facts[a.id], names, on) for a in rows]


def history(s: Session, action: Action) -> list[dict[str, Any]]:
    rows = list(s.scalars(select(ActionEvent).where(ActionEvent.action_id == action.id)
                          .order_by(ActionEvent.at, ActionEvent.id)))
    names = _names(s, (e.actor_organisation_id for e in rows))
    return [{"at": e.at, "from_status": e.from_status, "to_status": e.to_status,
             "reason": e.reason, "meeting_id": e.meeting_id, "actor_user_id": e.actor_user_id,
             "actor_organisation_id": e.actor_organisation_id,
             "actor_organisation_name": names.get(e.actor_organisation_id)} for e in rows]


# -- reading -----------------------------------------------------------------------------

def list_actions(s: Session, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    """The actions the actor may see, filtered; open ones unless ``status`` or
    ``include_done`` says otherwise."""
    stmt = select(Action).where(action_condition(actor, Action.__table__))
    if query.get("organisation_id"):
        stmt = stmt.where(Action.organisation_id == query["organisation_id"])
    if query.get("livc_id"):
        stmt = stmt.where(Action.meeting_id.in_(
            select(Meeting.id).where(Meeting.livc_id == query["livc_id"])))
    if query.get("status"):
        stmt = stmt.where(Action.status == query["status"])
    elif not query.get("include_done"):
        stmt = stmt.where(Action.status == "open")
    overdue = query.get("overdue")
    if overdue is not None:
        late = (Action.status == "open") & (Action.due < today())
        stmt = stmt.where(late if overdue else ~late)
    page, per_page = query.get("page", 1), query.get("per_page", 50)
    rows, total = paginate(s, stmt, page, per_page, Action.due, Action.id)
    facts = facts_of(s, rows)
    read_each(s, actor, "action:read", Action, rows, lambda a: facts[a.id])
    return {"items": _render_all(s, rows, facts), "page": page, "per_page": per_page,
            "total": total}


def open_actions_for_organisation(s: Session, actor: Actor, limit: int = 200
                                  ) -> list[dict[str, Any]]:
    """The inbox: the open actions given to the actor's organisation, soonest due first
    (each with ``overdue``), every one read on the ledger."""
    if actor.organisation_id is None:
        return []
    items: list[dict[str, Any]] = list_actions(s, actor, {
        "organisation_id": actor.organisation_id, "status": "open", "page": 1,
        "per_page": limit})["items"]
    return items


def get_action(s: Session, actor: Actor, action_id: uuid.UUID) -> dict[str, Any]:
    """One action with its history (404 without a relation, as for a missing id)."""
    loaded = load_for(s, actor, "action:read", Action, action_id)
    action = loaded.row
    data = render(action, loaded.facts, _names(s, [action.organisation_id]), today())
    data["history"] = history(s, action)
    return data


# -- carry-over and meetings -------------------------------------------------------------

def _to_carry(s: Session, meeting: Meeting) -> list[tuple[uuid.UUID, uuid.UUID]]:
    earlier = select(Meeting.id).where(Meeting.livc_id == meeting.livc_id,
                                       Meeting.scheduled_at < meeting.scheduled_at)
    there = select(ActionCarryOver.action_id).where(ActionCarryOver.meeting_id == meeting.id)
    return [(i, c) for i, c in s.execute(
        select(Action.id, Action.case_id).where(Action.status == "open",
                                                Action.meeting_id.in_(earlier),
                                                Action.id.not_in(there)))]


def carry_over(s: Session, meeting: Meeting) -> int:
    """Put the LIVC's actions still open from earlier meetings on ``meeting`` (planned or
    in session); once each, however often it is called.  Returns how many were carried."""
    if meeting.state not in CARRYING_STATES or not _to_carry(s, meeting):
        return 0
    # Two readers of the same agenda would both insert: the meeting's lock orders them.
    s.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    carried = _to_carry(s, meeting)
    for action_id, case_id in carried:
        s.add(ActionCarryOver(meeting_id=meeting.id, action_id=action_id))
        chain.record(s, None, "action:carry_over", object_type="action", object_id=action_id,
                     case_id=case_id, purpose=f"open action onto meeting {meeting.id}")
    s.flush()
    return len(carried)


def meeting_actions(s: Session, actor: Actor, meeting_id: uuid.UUID) -> dict[str, Any]:
    """The actions a meeting decided and those carried onto it for review (carrying what
    is still open first), for its chair and coordinator and its acknowledged attendees."""
    meeting, _facts, _decision = load_meeting(s, actor, meeting_id, "meeting:actions")
    carry_over(s, meeting)
    carried_at = dict(s.execute(select(ActionCarryOver.action_id, ActionCarryOver.carried_at)
                                .where(ActionCarryOver.meeting_id == meeting.id)).all())
    rows = list(s.scalars(select(Action).where(or_(
        Action.meeting_id == meeting.id, Action.id.in_(list(carried_at))))
        .order_by(Action.due, Action.id)))
    facts = facts_of(s, rows)
    read_each(s, actor, "action:read", Action, rows, lambda a: facts[a.id],
              purpose=f"meeting {meeting.id}")
    reviewed = set(s.scalars(select(ActionEvent.action_id).where(
        ActionEvent.meeting_id == meeting.id, ActionEvent.from_status.is_not(None))))
    items = []
    for a, data in zip(rows, _render_all(s, rows, facts), strict=True):
        data.update(origin="carried" if a.id in carried_at else "decided",
                    carried_at=carried_at.get(a.id), reviewed=a.id in reviewed)
        items.append(data)
    return {"meeting_id": meeting.id, "state": meeting.state, "items": items}


def _review_meeting(s: Session, action: Action, livc_id: uuid.UUID,
                    explicit: uuid.UUID | None) -> uuid.UUID | None:
    """The later meeting in session that carries the action, if any: a status change then
    is its review.  (A change while the deciding meeting is still in session is not.)"""
    in_session = list(s.scalars(select(Meeting).where(
        Meeting.livc_id == livc_id, Meeting._state == "in_session")
        .order_by(Meeting.scheduled_at.desc())))
    for meeting in in_session:
        carry_over(s, meeting)
    carrying = set(s.scalars(
        select(ActionCarryOver.meeting_id).where(ActionCarryOver.action_id == action.id)))
    reviewing = [m.id for m in in_session if m.id in carrying]
    if explicit is not None:
        if explicit not in reviewing:
            raise errors.field_error("meeting_id", "The action is not on the agenda of this "
                                     "meeting, or the meeting is not in session.")
        return explicit
    return reviewing[0] if reviewing else None


# -- changing the status ------------------------------------------------------------------

def _reason(data: dict[str, Any]) -> str | None:
    reason = (data.get("status_reason") or "").strip() or None
    if data["status"] in ACTION_STATUSES_WITH_REASON and reason is None:
        raise errors.ValidationFailed({"status_reason": [REASON_REQUIRED]})
    return reason


def _check_version(action: Action, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != action.version:
        raise errors.Conflict("The action was changed in the meantime.",
                              current_version=action.version)


def _apply(s: Session, actor: Actor, action: Action, status: str, reason: str | None,
           meeting_id: uuid.UUID | None) -> str:
    assert actor.user_id is not None
    assert actor.organisation_id is not None
    before, now = action.status, clock.now()
    action.status, action.status_reason, action.status_changed_at = status, reason, now
    action.done_at = (action.done_at or now) if status == "done" else None
    s.add(ActionEvent(action_id=action.id, meeting_id=meeting_id, actor_user_id=actor.user_id,
                      actor_organisation_id=actor.organisation_id, from_status=before,
                      to_status=status, reason=reason))
    s.flush()
    review = f" (review in meeting {meeting_id})" if meeting_id else ""
    return f"{before} -> {status}{review}"


def update_status(s: Session, actor: Actor, action_id: uuid.UUID, data: dict[str, Any],
                  expected_version: int | None) -> dict[str, Any]:
    """Set an action's status (``PATCH /api/v1/actions/{id}``): 422 without the reason a
    ``not_possible`` or ``not_done`` needs, 409 on a stale version or when nothing changes
    outside a review."""
    # The change is the access: it goes on the ledger below.
    loaded = load_for(s, actor, "action:update", Action, action_id, lock=True, record=False)
    action, facts = loaded.row, loaded.facts
    reason = _reason(data)
    _check_version(action, expected_version)
    meeting_id = _review_meeting(s, action, facts.livc_id, data.get("meeting_id"))
    if (data["status"], reason) == (action.status, action.status_reason) and meeting_id is None:
        raise errors.Conflict(f"The action is {action.status} already.",
                              current_version=action.version)
    purpose = _apply(s, actor, action, data["status"], reason, meeting_id)
    chain.record(s, actor, "action:update", object_type="action", object_id=action.id,
                 case_id=action.case_id, rule=loaded.decision.rule, purpose=purpose)
    result = render(action, facts, _names(s, [action.organisation_id]), today())
    result["history"] = history(s, action)
    return result


def complete_action(s: Session, actor: Actor, action_id: uuid.UUID,
                    expected_version: int | None) -> dict[str, Any]:
    """``POST /api/v1/actions/{id}/done``: the owner organisation marks it done."""
    loaded = load_for(s, actor, "action:complete", Action, action_id, lock=True, record=False)
    action, facts = loaded.row, loaded.facts
    if action.status == "done":
        raise errors.Conflict("This action is done already.", current_version=action.version)
    _check_version(action, expected_version)
    meeting_id = _review_meeting(s, action, facts.livc_id, None)
    purpose = _apply(s, actor, action, "done", None, meeting_id)
    chain.record(s, actor, "action:complete", object_type="action", object_id=action.id,
                 case_id=action.case_id, rule=loaded.decision.rule, purpose=purpose)
    return render(action, facts, _names(s, [action.organisation_id]), today())


def record_given(s: Session, actor: Actor, meeting_id: uuid.UUID,
                 actions: Iterable[Action]) -> None:
    """The first entry of each new action's history: given by a decision of ``meeting_id``."""
    assert actor.user_id is not None
    assert actor.organisation_id is not None
    s.add_all(ActionEvent(action_id=a.id, meeting_id=meeting_id, actor_user_id=actor.user_id,
                          actor_organisation_id=actor.organisation_id, from_status=None,
                          to_status="open") for a in actions)
