"""Enforcing decisions, and the one way to load an object for an actor.

:func:`authorize` turns a denying :class:`policies.Decision` into a problem that is logged
(in its own transaction) and rendered as 403 or 404.

:func:`load_for` loads a row for an actor: it fetches the row, gathers the facts the rules
decide on, decides through ``policies``, raises 404 (no relation, or no such row: the same
answer and the same trace) or 403 with the rule, and appends the read to the ledger in the
request's transaction.  :func:`read_each` does the same for the rows of a listed page.
Services read case data through these two only, so a read cannot be forgotten in the
ledger.  Each feature tells them how to reach its rows with :func:`register`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

import policies
from policies.actor import Actor, Decision
from referral.core import errors
from referral.core.ledger import chain
from referral.core.transaction import denial

T = TypeVar("T")


def authorize(
    actor: Actor,
    action: str,
    resource: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    case_id: uuid.UUID | None = None,
    hide: bool = False,
    not_found: str = "No such resource.",
) -> Decision:
    """Raise 403 (or 404 when ``hide`` or the rule is ``no_relation``) unless allowed.

    ``not_found`` is the 404's text: the same as for an id that does not exist, so that
    the answer does not tell an unrelated row from a missing one.
    """
    decision = policies.decide(actor, action, resource)
    if decision.allowed:
        return decision
    audit = denial(actor, action, decision.rule, object_type=object_type,
                   object_id=object_id, case_id=case_id)
    if decision.rule == "authentication_required":
        raise errors.Unauthorized("Log in or send a bearer token.", _audit=audit)
    if hide or decision.rule == "no_relation":
        raise errors.NotFound(not_found, _audit=audit)
    raise errors.Forbidden(decision.reason, rule=decision.rule, _audit=audit)


@dataclass(frozen=True)
class Reachable(Generic[T]):
    """How :func:`load_for` reaches the rows of one model (registered by its feature).

    ``fetch(s, id, lock)`` the row or None; ``facts(s, row)`` what ``policies`` decides on;
    ``case_id(row)`` the case the row belongs to (for the ledger), ``checks(row, action)``
    raises for what policy does not decide (a purged case is 410).  ``probe(s, id)`` runs,
    for an id that does not exist, the statements ``facts`` runs for one that does: a
    missing id and an unrelated one cost the same work, so time does not tell them apart.
    """

    object_type: str
    fetch: Callable[[Session, Any, bool], T | None]
    facts: Callable[[Session, T], Any]
    case_id: Callable[[T], uuid.UUID | None]
    missing: str = "No such resource."
    checks: Callable[[T, str], None] | None = None
    probe: Callable[[Session, Any], None] | None = None


_REACHABLE: dict[type, Reachable[Any]] = {}


def register(model: type[T], reachable: Reachable[T]) -> None:
    _REACHABLE[model] = reachable


@dataclass(frozen=True)
class Loaded(Generic[T]):
    row: T
    facts: Any
    decision: Decision


def load_for(s: Session, actor: Actor, action: str, model: type[T], object_id: Any, *,
             lock: bool = False, record: bool = True, event: str | None = None,
             purpose: str | Callable[[Any], str] | None = None, hide: bool = False
             ) -> Loaded[T]:
    """The row if ``action`` is allowed, with its facts and the decision; the read on the
    ledger as ``event`` (default: the action).

    ``record=False`` only where the caller writes the access to the ledger itself: it changes
    the row and records the change (the change is the access), or it lists rows and records
    each one it reads (:func:`read_each`).  ``purpose`` may be computed from the facts.
    """
    how = _REACHABLE[model]
    row = how.fetch(s, object_id, lock)
    if row is None:
        if how.probe is not None:
            how.probe(s, object_id)
        # Guessing ids must leave the same trace as probing an unrelated row.
        raise errors.NotFound(how.missing, _audit=denial(
            actor, action, "no_relation", object_type=how.object_type, object_id=object_id))
    facts = how.facts(s, row)
    row_id, case_id = getattr(row, "id", object_id), how.case_id(row)
    decision = authorize(actor, action, facts, object_type=how.object_type, object_id=row_id,
                         case_id=case_id, hide=hide, not_found=how.missing)
    if how.checks is not None:
        how.checks(row, action)
    if record:
        chain.record(s, actor, event or action, object_type=how.object_type, object_id=row_id,
                     case_id=case_id, rule=decision.rule,
                     purpose=purpose(facts) if callable(purpose) else purpose)
    return Loaded(row, facts, decision)


def read_each(s: Session, actor: Actor, action: str, model: type[T], rows: Iterable[T],
              facts_of: Callable[[T], Any] | None, *, purpose: str | None = "list",
              event: str | None = None, rule: str | None = None
              ) -> list[tuple[T, Decision | None]]:
    """Append one read per listed row; with ``facts_of``, decide ``action`` on each first.

    The rows come from the SQL scope of ``action`` (``policies.scopes``), which the property
    tests hold equal to the per-row decision: a denial here is a scope bug and raises like
    any other.  Without ``facts_of`` the scope is the decision (lists whose per-row facts
    would cost a query each): the event names ``rule``, the rule that chose the rows.
    """
    how = _REACHABLE[model]
    decided: list[tuple[T, Decision | None]] = []
    for row in rows:
        case_id = how.case_id(row)
        row_id = getattr(row, "id", None)
        decision = None if facts_of is None else authorize(
            actor, action, facts_of(row), object_type=how.object_type, object_id=row_id,
            case_id=case_id)
        chain.record(s, actor, event or action, object_type=how.object_type, object_id=row_id,
                     case_id=case_id, rule=decision.rule if decision else rule, purpose=purpose)
        decided.append((row, decision))
    return decided


def read_if_allowed(s: Session, actor: Actor, action: str, model: type[T], row: T, facts: Any,
                    *, event: str | None = None, purpose: str | None = None,
                    rule: str | None = None, also: bool = True) -> Decision | None:
    """For material that is shown only where it may be (a meeting's shared notes): the
    decision if ``action`` is allowed (and ``also``), with the read on the ledger; None,
    and nothing shown or recorded, otherwise."""
    decision = policies.decide(actor, action, facts)
    if not (decision.allowed and also):
        return None
    how = _REACHABLE[model]
    chain.record(s, actor, event or action, object_type=how.object_type,
                 object_id=getattr(row, "id", None), case_id=how.case_id(row),
                 rule=rule or decision.rule, purpose=purpose)
    return decision


def record_read(s: Session, actor: Actor, action: str, resource: Any = None, *,
                object_type: str | None = None, object_id: Any = None,
                case_id: uuid.UUID | None = None, purpose: str | None = None) -> Decision:
    """A read that loads no one row: a search of the ledger, a verification, a report.
    Decided through ``policies`` like any other (a denial raises and is logged), then put on
    the ledger with the rule that allowed it: the decision and its record are one call."""
    decision = authorize(actor, action, resource, object_type=object_type, object_id=object_id,
                         case_id=case_id)
    chain.record(s, actor, action, object_type=object_type, object_id=object_id,
                 case_id=case_id, rule=decision.rule, purpose=purpose)
    return decision
