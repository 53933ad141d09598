"""Arrangements for the action and withheld-information tests: a decision that gives
actions, a later meeting of the same LIVC, a second LIVC with its own chair."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from referral.core import clock
from referral.core.ledger.models import AuditEvent
from tests.factories import ATTENDEES, in_session, org_id, user_id, when

FIELDS = {"id", "meeting_id", "case_id", "organisation_id", "description", "due", "status",
          "status_reason", "version"}


def due(days: int) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


def decide_actions(world: Any, *actions: tuple[str, str, int]) -> tuple[Any, Any, dict, list]:
    """A case decided into guidance in an open meeting, with ``(organisation, description,
    days until due)`` actions; returns (case, chair, meeting, actions as the API gave them)."""
    case, chair, meeting = in_session(world, state="proposed")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme",
        "text": "The LIVC starts a guidance programme.",
        "coordinator_organisation_id": org_id(world, "CAW Gent"),
        "actions": [{"organisation_id": org_id(world, org), "description": text,
                     "due": due(days)} for org, text, days in actions]})
    assert r.status_code == 201, r.get_json()
    return case, chair, meeting, r.get_json()["actions"]


def plan_later(world: Any, chair: Any, days: int = 30,
               attendees: tuple[str, ...] = ATTENDEES) -> dict[str, Any]:
    """The LIVC's next meeting, after the one :func:`decide_actions` held."""
    r = chair.post(f"/api/v1/livcs/{world.livc.id}/meetings", json={
        "scheduled_at": when(days), "attendee_user_ids": [user_id(world, u) for u in attendees]})
    assert r.status_code == 201, r.get_json()
    meeting: dict[str, Any] = r.get_json()
    return meeting


def other_livc_chair(world: Any) -> None:
    """``other_chair``: the chair of another LIVC (world.livc stays the first)."""
    first = world.livc
    world.org("Stad Antwerpen", "municipality")
    world.make_livc("LIVC Antwerpen", members=("Stad Antwerpen",))
    world.user("other_chair", "Stad Antwerpen", ["livc_chair"])
    world.livc = first


def events(world: Any, action: str, object_id: Any = None) -> list[Any]:
    with world.session() as s:
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        if object_id is not None:
            stmt = stmt.where(AuditEvent.object_id == str(object_id))
        return list(s.scalars(stmt.order_by(AuditEvent.seq)))


def missing() -> str:
    return str(uuid.uuid4())
