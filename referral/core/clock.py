"""The one clock of the application, so tests and drills can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests, drills); never called by the app itself."""
    global _offset  # noqa: PLW0603 - a process-wide clock is the point
    _offset += delta


def reset() -> None:
    global _offset  # noqa: PLW0603
    _offset = timedelta(0)
