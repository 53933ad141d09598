"""Helpers of the auditor's workspace tests (API and pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from policies.actor import Actor
from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent

BRUSSELS = ZoneInfo("Europe/Brussels")


def user_row(world: Any, username: str) -> Any:
    from referral.accounts.models import User

    with world.session() as s:
        return s.scalar(select(User).where(User.username == username))


def actor_of(user: Any) -> Actor:
    return Actor(user_id=user.id, organisation_id=user.organisation_id)


def events(world: Any, action: str) -> list[Any]:
    with world.session() as s:
        return list(s.execute(select(*AuditEvent.__table__.c)
                              .where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def break_glass(world: Any, case: Any, username: str = "member_rp",
                 reason: str = "imminent danger") -> str:
    r = world.login(username).post(f"/api/v1/cases/{case.id}/break-glass",
                                   json={"reason": reason})
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["id"])


def record_at(world: Any, when: datetime, user: Any, action: str, n: int = 1,
               **fields: Any) -> None:
    """``n`` events by ``user`` at ``when`` (the clock only moves forward)."""
    delta = when - clock.now()
    assert delta >= timedelta(0), "the clock only moves forward"
    clock.advance(delta)
    with world.session() as s:
        for _ in range(n):
            chain.record(s, actor_of(user), action, **fields)
        s.commit()


def next_local(weekday: int, hour: int, minute: int = 0, *, after: datetime) -> datetime:
    """The first Brussels-local ``weekday`` at hour:minute later than ``after`` (UTC)."""
    local = after.astimezone(BRUSSELS)
    day = local.date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


