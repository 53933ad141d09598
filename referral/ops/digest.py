"""Nothing peters out: a daily job that finds what is being forgotten, and one digest per
person, never one message per event.

What counts as "being forgotten" (issue 16; the reviews of the UK Prevent programme found
mentoring that petered out and a referral refused three times without reaching a panel):

- a case in guidance or aftercare with no transition, note or meeting action for
  ``DIGEST_STALL_DAYS`` days (default 42, six weeks);
- a case whose referrals were declined or expired twice or more;
- a person signalled again within 12 months of a "no concern" closure.

Who hears of it: the reference persons of the case's owner organisation, the case's own
coordinator (a user), and the LIVC's coordinators for the cases in their LIVC (the re-signal
only to the owner: it is not LIVC business until proposed).  Each user gets at most one
digest per period of their rhythm (``daily``, ``weekly`` -- the default -- or ``off``): an
in-app notification with counts and a link, and the same counts by e-mail, no case content.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from referral.accounts.models import RoleAssignment, User
from referral.cases.models import Case, Subject
from referral.cases.notes.models import Note
from referral.cases.referrals.models import Referral
from referral.core import calendar, clock
from referral.core.ledger import chain
from referral.meetings.models import Action
from referral.notifications.services import notify_user
from referral.pathways.models import TransitionRecord

PERIOD = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
FOLLOW_UP_STATES = ("guidance", "aftercare")
REFUSED_STATES = ("declined", "expired")
RESIGNAL_WINDOW = timedelta(days=365)


@dataclass
class Findings:
    stalled: set[uuid.UUID] = field(default_factory=set)
    refused: set[uuid.UUID] = field(default_factory=set)
    resignalled: set[uuid.UUID] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.stalled or self.refused or self.resignalled)


def stalled_cases(s: Session, stall_days: int) -> list[Any]:
    """Cases in follow-up whose last transition, note and action are all older than the
    stall period (one statement: the three latest activities per case, joined)."""
    since = clock.now() - timedelta(days=stall_days)
    moved = select(TransitionRecord.case_id, func.max(TransitionRecord.at).label("at")) \
        .where(TransitionRecord.object_type == "case").group_by(TransitionRecord.case_id) \
        .subquery()
    noted = select(Note.case_id, func.max(Note.created_at).label("at")) \
        .group_by(Note.case_id).subquery()
    acted = select(Action.case_id, func.max(func.coalesce(Action.status_changed_at,
                                                          Action.created_at)).label("at")) \
        .group_by(Action.case_id).subquery()
    stmt = (select(Case.id, Case.owner_organisation_id, Case.coordinator_user_id, Case.livc_id)
            .outerjoin(moved, moved.c.case_id == Case.id)
            .outerjoin(noted, noted.c.case_id == Case.id)
            .outerjoin(acted, acted.c.case_id == Case.id)
            .where(Case._state.in_(FOLLOW_UP_STATES), Case.purged_at.is_(None),
                   Case.opened_at < since,
                   or_(moved.c.at.is_(None), moved.c.at < since),
                   or_(noted.c.at.is_(None), noted.c.at < since),
                   or_(acted.c.at.is_(None), acted.c.at < since)))
    return list(s.execute(stmt))


def refused_cases(s: Session) -> list[Any]:
    """Open cases whose referrals were declined or expired at least twice."""
    refusals = select(Referral.case_id).where(Referral._state.in_(REFUSED_STATES)) \
        .group_by(Referral.case_id).having(func.count() >= 2).subquery()
    return list(s.execute(
        select(Case.id, Case.owner_organisation_id, Case.coordinator_user_id, Case.livc_id)
        .join(refusals, refusals.c.case_id == Case.id)
        .where(Case._state != "closed", Case.purged_at.is_(None))))


def resignalled_cases(s: Session) -> list[Any]:
    """Open cases of a person whose earlier case was closed "no concern" within the 12
    months before this one was opened (the pseudonym is the same in every organisation)."""
    earlier, earlier_subject = aliased(Case), aliased(Subject)
    closed = (select(TransitionRecord.case_id, TransitionRecord.at)
              .where(TransitionRecord.object_type == "case",
                     TransitionRecord.trigger == "close_no_concern").subquery())
    stmt = (select(Case.id, Case.owner_organisation_id, Case.opened_at,
                   closed.c.at.label("closed_at"))
            .join(Subject, Subject.id == Case.subject_id)
            .join(earlier_subject, earlier_subject.pseudonym == Subject.pseudonym)
            .join(earlier, earlier.subject_id == earlier_subject.id)
            .join(closed, closed.c.case_id == earlier.id)
            .where(earlier.id != Case.id, Case._state != "closed", Case.purged_at.is_(None),
                   closed.c.at <= Case.opened_at))
    # The 12-month window in Python: date arithmetic in SQL differs per database, and the
    # pairs are few (the same person, closed before).
    found: dict[uuid.UUID, Any] = {}
    for row in s.execute(stmt):
        if row.opened_at - row.closed_at <= RESIGNAL_WINDOW:
            found[row.id] = row
    return list(found.values())


def _reference_persons(s: Session, organisation_ids: set[uuid.UUID]) -> dict[uuid.UUID,
                                                                           set[uuid.UUID]]:
    rows = s.execute(select(User.organisation_id, User.id)
                     .join(RoleAssignment, RoleAssignment.user_id == User.id)
                     .where(User.organisation_id.in_(organisation_ids), User.active.is_(True),
                            RoleAssignment.role == "reference_person").distinct())
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for org_id, user_id in rows:
        found[org_id].add(user_id)
    return found


def _livc_coordinators(s: Session, livc_ids: set[uuid.UUID]) -> dict[uuid.UUID,
                                                                     set[uuid.UUID]]:
    rows = s.execute(select(RoleAssignment.livc_id, User.id)
                     .join(User, User.id == RoleAssignment.user_id)
                     .where(RoleAssignment.livc_id.in_(livc_ids), User.active.is_(True),
                            RoleAssignment.role == "livc_coordinator").distinct())
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for livc_id, user_id in rows:
        assert livc_id is not None
        found[livc_id].add(user_id)
    return found


def findings_per_user(s: Session, stall_days: int) -> dict[uuid.UUID, Findings]:
    stalled, refused = stalled_cases(s, stall_days), refused_cases(s)
    resignalled = resignalled_cases(s)
    owners = {r.owner_organisation_id for r in stalled + refused + resignalled}
    livcs = {r.livc_id for r in stalled + refused}
    persons, coordinators = _reference_persons(s, owners), _livc_coordinators(s, livcs)
    per_user: dict[uuid.UUID, Findings] = defaultdict(Findings)
    for rows, bucket in ((stalled, "stalled"), (refused, "refused")):
        for row in rows:
            users = persons.get(row.owner_organisation_id, set()) | coordinators.get(
                row.livc_id, set()) | ({row.coordinator_user_id} - {None})
            for user_id in users:
                getattr(per_user[user_id], bucket).add(row.id)
    for row in resignalled:
        for user_id in persons.get(row.owner_organisation_id, set()):
            per_user[user_id].resignalled.add(row.id)
    return dict(per_user)


def _message(found: Findings) -> str:
    # Counts only: the digest says where to look, the inbox shows what the reader may see.
    parts = []
    if found.stalled:
        parts.append(f"{len(found.stalled)} case(s) in follow-up without activity")
    if found.refused:
        parts.append(f"{len(found.refused)} case(s) with referrals refused or expired twice")
    if found.resignalled:
        parts.append(f"{len(found.resignalled)} person(s) signalled again within 12 months "
                     "of a no-concern closure")
    return "Digest: " + "; ".join(parts) + "."


def due(rhythm: str, last_sent: Any, now: Any) -> bool:
    """Whether a user with this rhythm gets a digest now (once per Brussels day or week)."""
    if rhythm not in PERIOD:
        return False
    if last_sent is None:
        return True
    if rhythm == "daily":
        return calendar.local_date(last_sent) < calendar.local_date(now)
    return calendar.local_date(now) - calendar.local_date(last_sent) >= PERIOD["weekly"]


def send_digests(s: Session, app: Flask) -> tuple[int, int]:
    """(digests sent, users with findings); the caller commits."""
    now = clock.now()
    per_user = findings_per_user(s, int(app.config["DIGEST_STALL_DAYS"]))
    sent = 0
    if per_user:
        users = s.execute(select(User.id, User.digest_rhythm, User.digest_sent_at)
                          .where(User.id.in_(list(per_user)), User.active.is_(True)))
        for user_id, rhythm, last_sent in users:
            if not due(rhythm or "weekly", last_sent, now):
                continue
            notify_user(s, user_id, "digest", _message(per_user[user_id]), "/inbox")
            # Claimed in the same transaction as the message: two runners send it once.
            claimed = s.execute(update(User).where(
                User.id == user_id, User.digest_sent_at.is_not_distinct_from(last_sent))
                .values(digest_sent_at=now).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise RuntimeError("digest raced with another runner")
            sent += 1
    chain.record(s, None, "digest:send", object_type="job", object_id="digest",
                 purpose=f"sent {sent}, users with findings {len(per_user)}")
    return sent, len(per_user)
