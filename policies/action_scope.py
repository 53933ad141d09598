"""``policies.meetings.decide_action`` for ``action:read``, as a SQL condition for lists.

Like ``policies.scopes``: related tables are reached through the model's metadata by
name, and a property test (``tests/meetings/test_actions_scope.py``) holds the condition
equal to the per-object decision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select

from policies.actor import Actor
from policies.meetings import MANAGER_ROLES
from policies.vocabulary import CASE_ROLES, LIVC_ROLES


def action_condition(actor: Actor, actions: Any) -> ColumnElement[bool]:
    """The actions the actor may read: the owner organisation's, the LIVCs it chairs or
    coordinates, and those of meetings it acknowledged secrecy for (decided or carried)."""
    if actor.is_anonymous:
        return false()
    t = actions.metadata.tables
    meetings, ack, carry = (t["meetings"], t["secrecy_acknowledgements"],
                            t["action_carry_overs"])
    parts: list[ColumnElement[bool]] = []
    if any(actor.has_role(r) for r in CASE_ROLES + LIVC_ROLES):
        parts.append(actions.c.organisation_id == actor.organisation_id)
    livcs = actor.livcs_with(*MANAGER_ROLES)
    if livcs:
        parts.append(actions.c.meeting_id.in_(
            select(meetings.c.id).where(meetings.c.livc_id.in_(livcs))))
    acknowledged = select(ack.c.meeting_id).where(ack.c.user_id == actor.user_id)
    parts.append(actions.c.meeting_id.in_(acknowledged))
    parts.append(actions.c.id.in_(
        select(carry.c.action_id).where(carry.c.meeting_id.in_(acknowledged))))
    return or_(*parts)
