"""Names for the ids of the audit trail, and ids for the names an auditor types.

The ledger holds ids only; an auditor thinks in case references, pseudonyms, people and
organisations.  These reads serve the auditor's own searches and are on the trail as
part of them (the page records the ``audit:search`` in the same transaction): they
return references, display names and organisation names, never case content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from referral.accounts.models import User
from referral.cases.models import Case, Subject
from referral.organisations.models import Organisation

# A name typed in the search stands for at most this many users or cases: beyond that the
# auditor is told to be more precise rather than handed an IN list of thousands.
MAX_MATCHES = 50


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    display_name: str
    username: str
    organisation_id: uuid.UUID


def organisations(s: Session) -> dict[uuid.UUID, str]:
    return {o.id: o.name for o in s.scalars(select(Organisation).order_by(Organisation.name))}


def cases_matching(s: Session, text: str) -> list[tuple[uuid.UUID, str]]:
    """(id, reference) of the cases with this reference or whose subject has this
    pseudonym (one person may be several cases, in several organisations)."""
    text = text.strip()
    if not text:
        return []
    rows = s.execute(
        select(Case.id, Case.reference).join(Subject, Subject.id == Case.subject_id)
        # Exact values, typed as given or in capitals (references are): the indexes serve.
        .where(or_(Case.reference.in_({text, text.upper()}),
                   Subject.pseudonym.in_({text, text.lower()})))
        .order_by(Case.reference).limit(MAX_MATCHES + 1))
    return [(r.id, r.reference) for r in rows]


def users_matching(s: Session, text: str) -> list[Person]:
    """The user with this username, else those whose name or username contains ``text``."""
    text = text.strip()
    if not text:
        return []
    exact = s.scalars(select(User).where(func.lower(User.username) == text.lower())).all()
    if exact:
        return [_person(u) for u in exact]
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") \
        + "%"
    found = s.scalars(
        select(User).where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                               func.lower(User.username).like(pattern, escape="\\")))
        .order_by(User.display_name, User.username).limit(MAX_MATCHES + 1))
    return [_person(u) for u in found]


def people(s: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Person]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: _person(u) for u in s.scalars(select(User).where(User.id.in_(wanted)))}


def references(s: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {r.id: r.reference for r in s.execute(
        select(Case.id, Case.reference).where(Case.id.in_(wanted)))}


def _person(user: User) -> Person:
    return Person(user.id, user.display_name, user.username, user.organisation_id)
