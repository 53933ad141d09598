"""Moving the application's clock to a given instant (referral.core.clock only adds an
offset), and Brussels local times to write the examples in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from referral.core import clock

BRUSSELS = ZoneInfo("Europe/Brussels")


def brussels(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
             second: int = 0, microsecond: int = 0) -> datetime:
    """A Brussels wall-clock time, as UTC."""
    return datetime(year, month, day, hour, minute, second, microsecond,
                    tzinfo=BRUSSELS).astimezone(UTC)


def travel_to(at: datetime) -> None:
    """Set the clock to ``at`` (it runs on from there).  Tests travel before they build
    their world, so that sessions and the ledger are written in the travelled time."""
    clock.advance(at - clock.now())
