"""Shared arrangements for the meeting tests (a LIVC with every relation, a planned meeting)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from referral.core import clock
from tests.case_world import build
from tests.conftest import World

ATTENDEES = ("chair", "coordinator", "member")


def user_id(world: World, username: str) -> str:
    from referral.accounts.models import User

    with world.session() as s:
        return str(s.scalar(select(User.id).where(User.username == username)))


def org_id(world: World, name: str) -> str:
    return str(world.orgs[name].id)


def when(days: int = 7) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


def plan(world: World, chair: Any, attendees: tuple[str, ...] = ATTENDEES) -> dict[str, Any]:
    r = chair.post(f"/api/v1/livcs/{world.livc.id}/meetings", json={
        "scheduled_at": when(), "location": "Town hall, room 2",
        "attendee_user_ids": [user_id(world, u) for u in attendees]})
    assert r.status_code == 201, r.get_json()
    meeting: dict[str, Any] = r.get_json()
    return meeting


def note(api: Any, case_id: Any, body: str, disclose_to: str | None = None) -> str:
    r = api.post(f"/api/v1/cases/{case_id}/notes", json={"body": body,
                                                         "compartment": "internal"})
    assert r.status_code == 201, r.get_json()
    nid: str = r.get_json()["id"]
    if disclose_to:
        r = api.post(f"/api/v1/notes/{nid}/disclosures", json={
            "audience": disclose_to, "purpose": "LIVC consultation",
            "legal_basis": "art. 458ter Sw."})
        assert r.status_code == 201, r.get_json()
    return nid


def in_session(world: World, state: str = "proposed", referrals: bool = True
               ) -> tuple[Any, Any, dict[str, Any]]:
    """A case on the agenda of an open meeting; returns (case, chair api, meeting)."""
    if referrals:
        case = build(world, state=state)
    else:
        build(world, state="closed")
        from tests.case_world import make_case

        case = make_case(world, state=state)
    chair = world.login("chair")
    meeting = plan(world, chair)
    mid = meeting["id"]
    r = chair.post(f"/api/v1/meetings/{mid}/agenda", json={"case_id": str(case.id),
                                                          "reason": "new"})
    assert r.status_code == 201, r.get_json()
    r = chair.post(f"/api/v1/meetings/{mid}/transitions", json={"trigger": "open"})
    assert r.status_code == 200, r.get_json()
    return case, chair, r.get_json()


def count(dbs: Any, model: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == (uuid.UUID(value) if isinstance(value, str)
                                                  else value))
    n = dbs.scalar(stmt) or 0
    dbs.rollback()  # end the read: on SQLite it holds the write lock
    return int(n)


def put(api: Any, url: str, body: dict[str, Any]) -> Any:
    return api.client.put(url, json=body, headers=api._headers(None))
