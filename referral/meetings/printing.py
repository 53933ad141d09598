"""What leaves the screen: the printable agenda (pseudonyms, reasons, previous
decisions; never a note) and an .ics calendar entry (no case data at all)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.core import clock
from referral.meetings.access import load_meeting
from referral.meetings.models import Decision, Meeting
from referral.meetings.workspace import agenda_items
from referral.organisations.models import Livc

MEETING_LENGTH = timedelta(hours=2)


def printable_agenda(s: Session, actor: Actor, meeting_id: uuid.UUID) -> dict[str, Any]:
    meeting, _facts, _decision = load_meeting(s, actor, meeting_id, "meeting:material",
                                              event="meeting:print_agenda")
    livc = s.get(Livc, meeting.livc_id)
    assert livc is not None
    items = []
    for item, case in agenda_items(s, meeting):
        # Kinds and dates only: the decisions' texts stay in the consultation.
        previous = s.execute(
            select(Decision.decision, Decision.decided_at, Meeting.scheduled_at)
            .join(Meeting, Meeting.id == Decision.meeting_id)
            .where(Decision.case_id == case.id, Decision.meeting_id != meeting.id)
            .order_by(Decision.decided_at)).all()
        items.append({"position": item.position, "pseudonym": case.subject.pseudonym,
                      "reason": item.reason,
                      "previous": [{"decision": k, "decided_at": at, "meeting_at": m_at}
                                   for k, at, m_at in previous]})
    return {"livc_name": livc.name, "meeting": meeting, "items": items}


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: escape, and turn every line break (CRLF, a lone CR or LF, and the
    Unicode line separators a reader may honour) into ``\\n``, so that no value can end its
    line and start a property of its own."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _LINE_BREAKS.sub("\\\\n", escaped)


_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """RFC 5545 3.1: lines of at most 75 octets, continued with a leading space."""
    raw, out = line.encode(), list[str]()
    while len(raw) > 75:
        cut = 75 if not out else 74
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return [out[0]] + [" " + part for part in out[1:]]


def calendar_ics(s: Session, actor: Actor, meeting_id: uuid.UUID) -> str:
    meeting, _facts, _decision = load_meeting(s, actor, meeting_id, "meeting:read",
                                              event="meeting:calendar")
    livc = s.get(Livc, meeting.livc_id)
    assert livc is not None
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//LIVC referral//meetings//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@livc-referral",
        f"DTSTAMP:{_ics_time(clock.now())}",
        f"DTSTART:{_ics_time(meeting.scheduled_at)}",
        f"DTEND:{_ics_time(meeting.scheduled_at + MEETING_LENGTH)}",
        f"SEQUENCE:{meeting.version}",
        "SUMMARY:" + _ics_text(f"{livc.name}: case consultation"),
        "DESCRIPTION:" + _ics_text("Confidential LIVC case consultation under shared "
                                   "professional secrecy (art. 458ter Sw.). The agenda is in "
                                   "the application."),
        "STATUS:" + ("CANCELLED" if meeting.state == "cancelled" else "CONFIRMED"),
    ]
    if meeting.location:
        lines.append("LOCATION:" + _ics_text(meeting.location))
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
