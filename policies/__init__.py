"""Access rules: the single source of who may do what (plain Python, no Flask).

- :func:`decide` answers for one actor, one action and (optionally) one resource
  described by plain facts, returning a :class:`Decision` naming its rule;
- ``catalogue`` lists every action and rule with stable ids.
"""

from __future__ import annotations

from typing import Any

from policies.actor import Actor, Decision
from policies.cases import decide_case, decide_note, decide_referral
from policies.catalogue import ACTOR_LEVEL, PUBLIC_ACTIONS, RESOURCE_ACTIONS, RULES, Rule
from policies.facts import CaseFacts, NoteFacts, ReferralFacts
from policies.meetings import MEETING_FACT_TYPES, decide_meeting_resource
from policies.organisations import OrganisationFacts, decide_organisation
from policies.reports import AssuranceFacts, decide_assurance
from policies.scopes import scope
from policies.statistics import StatisticsFacts, decide_statistics

ROLE_NAMES = {"admin": "administrators"}


def _allow(rule_id: str, reason: str = "") -> Decision:
    return Decision(True, rule_id, reason or RULES[rule_id].text)


def _deny(rule_id: str, reason: str = "") -> Decision:
    return Decision(False, rule_id, reason or RULES[rule_id].text)


def decide_actor_level(actor: Actor, action: str) -> Decision:
    if action in PUBLIC_ACTIONS:
        return Decision(True, "public", "Open to everyone.")
    if actor.is_anonymous:
        return _deny("authentication_required")
    roles, rule_id = ACTOR_LEVEL[action]
    if not roles or any(actor.has_role(r) for r in roles):
        return _allow(rule_id)
    return _deny(rule_id)


def decide(actor: Actor, action: str, resource: Any = None) -> Decision:
    """Decide one action for one actor on one resource (described by plain facts)."""
    if action in ACTOR_LEVEL or action in PUBLIC_ACTIONS:
        return decide_actor_level(actor, action)
    if actor.is_anonymous:
        return _deny("authentication_required")
    if isinstance(resource, CaseFacts):
        return decide_case(actor, action, resource)
    if isinstance(resource, NoteFacts):
        return decide_note(actor, action, resource)
    if isinstance(resource, ReferralFacts):
        return decide_referral(actor, action, resource)
    if isinstance(resource, MEETING_FACT_TYPES):
        return decide_meeting_resource(actor, action, resource)
    if isinstance(resource, OrganisationFacts):
        return decide_organisation(actor, action, resource)
    if isinstance(resource, StatisticsFacts):
        return decide_statistics(actor, action, resource)
    if isinstance(resource, AssuranceFacts):
        return decide_assurance(actor, action, resource)
    return _deny("no_relation", f"No rule grants {action}.")


__all__ = ["ACTOR_LEVEL", "PUBLIC_ACTIONS", "RESOURCE_ACTIONS", "RULES", "Actor", "Decision",
           "Rule", "decide", "scope"]
