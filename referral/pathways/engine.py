"""The one engine that moves pathway-bound rows between states.

Definitions live in ``workflows/`` as data; here each (name, version) is bound
to one cached ``transitions.Machine`` (a Machine per row would cost ~0.3-1 ms
and ~57 KB each).  Auto-transitions are off: ``to_<state>()`` would bypass
every guard.  Firing happens on a row already locked by the caller (``SELECT
... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite): check the
trigger and the source state, the version, the policy, the guards; then change
the state, write the history row and queue the audit event, all in the
caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.orm import Session
from transitions import Machine

import policies
import workflows
from policies.actor import Actor
from referral.core import errors
from referral.core.authz import authorize
from referral.core.ledger import chain
from referral.pathways.models import PathwayStateMixin, TransitionRecord, engine_set_state
from workflows import Pathway, Transition

GuardFn = Callable[["Firing"], bool]


@dataclass
class Firing:
    """What guards and effects see about one attempted transition."""

    session: Session
    actor: Actor
    row: Any
    transition: Transition
    reason: str | None = None
    outcome: str | None = None
    extra: Mapping[str, Any] | None = None


@cache
def machine_for(name: str, version: int) -> Machine:
    pathway = workflows.get(name, version)
    return Machine(
        model=None, states=list(pathway.states), initial=pathway.initial,
        transitions=[{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                     for t in pathway.transitions],
        auto_transitions=False, ignore_invalid_triggers=False,
    )


def candidates(pathway: Pathway, trigger: str, state: str) -> list[Transition]:
    """The definitions' transitions for ``trigger`` from ``state``, via the cached machine."""
    machine = machine_for(pathway.name, pathway.version)
    found = machine.get_transitions(trigger=trigger, source=state)
    dests = [t.dest for t in found]
    return [t for t in pathway.transitions_for(trigger)
            if state in t.sources and t.dest in dests]


def failing_guard(firing: Firing, guards: Mapping[str, GuardFn]) -> str | None:
    for name in firing.transition.guards:
        if not guards[name](firing):
            return name
    return None


def fire(
    s: Session,
    actor: Actor,
    row: PathwayStateMixin,
    *,
    trigger: str,
    object_type: str,
    resource: Any,
    guards: Mapping[str, GuardFn],
    case_id: uuid.UUID | None,
    expected_version: int | None = None,
    reason: str | None = None,
    outcome: str | None = None,
    extra: Mapping[str, Any] | None = None,
    check_policy: bool = True,
) -> Firing:
    pathway = workflows.get(row.pathway, row.pathway_version)  # type: ignore[attr-defined]
    if trigger not in pathway.triggers:
        raise errors.ValidationFailed(
            {"trigger": [f"Unknown trigger; one of: {', '.join(pathway.triggers)}."]})
    version: int = row.version  # type: ignore[attr-defined]
    if expected_version is not None and expected_version != version:
        raise errors.Conflict("This was changed in the meantime; reload and try again.",
                              current_version=version, state=row.state)
    options = candidates(pathway, trigger, row.state)
    if not options:
        raise errors.Conflict(f"'{trigger}' is not possible from state '{row.state}'.",
                              current_version=version, state=row.state)
    if check_policy:
        authorize(actor, options[0].permission, resource, object_type=object_type,
                  object_id=row.id, case_id=case_id)  # type: ignore[attr-defined]
    first_failure: tuple[str, Transition] | None = None
    chosen: Firing | None = None
    for option in options:
        firing = Firing(s, actor, row, option, reason=reason, outcome=outcome, extra=extra)
        failed = failing_guard(firing, guards)
        if failed is None:
            chosen = firing
            break
        first_failure = first_failure or (failed, option)
    if chosen is None:
        assert first_failure is not None
        name, option = first_failure
        raise errors.GuardFailed(name, pathway.guards[name].message)
    source = row.state
    engine_set_state(row, chosen.transition.dest)
    s.add(TransitionRecord(
        object_type=object_type, object_id=row.id, case_id=case_id,  # type: ignore[attr-defined]
        pathway=pathway.name, pathway_version=pathway.version, trigger=trigger,
        from_state=source, to_state=chosen.transition.dest, actor_user_id=actor.user_id,
        actor_organisation_id=actor.organisation_id, reason=reason,
        meeting_id=(extra or {}).get("meeting_id"), decision_id=(extra or {}).get("decision_id"),
    ))
    chain.record(s, actor, f"{object_type}:transition", object_type=object_type,
                 object_id=row.id, case_id=case_id,  # type: ignore[attr-defined]
                 purpose=f"{trigger}: {source} -> {chosen.transition.dest}")
    return chosen


def check_entry(s: Session, actor: Actor, row: Any, guards: Mapping[str, GuardFn],
                extra: Mapping[str, Any] | None = None) -> None:
    """Raise 422 (the guard's name and message) unless the pathway's entry guards hold for
    a row about to enter it."""
    pathway = workflows.get(row.pathway, row.pathway_version)
    entry = Transition("create", (pathway.initial,), pathway.initial, "",
                       guards=pathway.entry_guards)
    failed = failing_guard(Firing(s, actor, row, entry, extra=extra), guards)
    if failed is not None:
        raise errors.GuardFailed(failed, pathway.guards[failed].message)


def record_initial(s: Session, actor: Actor, row: Any, *, object_type: str,
                   case_id: uuid.UUID | None) -> None:
    """History starts with the row's creation in its initial state."""
    s.add(TransitionRecord(
        object_type=object_type, object_id=row.id, case_id=case_id, pathway=row.pathway,
        pathway_version=row.pathway_version, trigger="create", from_state=None,
        to_state=row.state, actor_user_id=actor.user_id,
        actor_organisation_id=actor.organisation_id))


def available(actor: Actor, row: Any, resource: Any, guards: Mapping[str, GuardFn],
              s: Session) -> list[dict[str, Any]]:
    """Every transition from the current state, with whether this actor may fire it now."""

    pathway = workflows.get(row.pathway, row.pathway_version)
    result = []
    for t in pathway.transitions_from(row.state):
        decision = policies.decide(actor, t.permission, resource)
        entry: dict[str, Any] = {"trigger": t.trigger, "dest": t.dest, "label": t.label,
                                 "allowed": decision.allowed,
                                 "requires_reason": t.requires_reason,
                                 "requires_outcome": t.requires_outcome}
        if not decision.allowed:
            entry["reason"] = decision.rule
        else:
            failed = failing_guard(Firing(s, actor, row, t), {
                k: v for k, v in guards.items() if k not in {"outcome_given", "reason_given"}}
                | {"outcome_given": lambda f: True, "reason_given": lambda f: True})
            if failed:
                entry["allowed"], entry["reason"] = False, failed
        result.append(entry)
    return result
