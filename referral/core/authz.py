"""Enforcing decisions: turn a denying :class:`policies.Decision` into a problem
that is logged (in its own transaction) and rendered as 403 or 404."""

from __future__ import annotations

import uuid
from typing import Any

import policies
from policies.actor import Actor, Decision
from referral.core import errors
from referral.core.transaction import denial


def authorize(
    actor: Actor,
    action: str,
    resource: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    case_id: uuid.UUID | None = None,
    hide: bool = False,
) -> Decision:
    """Raise 403 (or 404 when ``hide`` or the rule is ``no_relation``) unless allowed."""
    decision = policies.decide(actor, action, resource)
    if decision.allowed:
        return decision
    audit = denial(actor, action, decision.rule, object_type=object_type,
                   object_id=object_id, case_id=case_id)
    if decision.rule == "authentication_required":
        raise errors.Unauthorized("Log in or send a bearer token.", _audit=audit)
    if hide or decision.rule == "no_relation":
        raise errors.NotFound("No such resource.", _audit=audit)
    raise errors.Forbidden(decision.reason, rule=decision.rule, _audit=audit)
