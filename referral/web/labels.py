"""Plain words for the internal ids the pages would otherwise show.

A page never prints ``livc_chair``, ``internal_follow_up`` or a rule id on its own: it
prints ``{{ value|label("role") }}``, the translated label below, and where a support call
needs the id, ``{{ value|label_id("rule") }}`` adds it as small secondary text.  The
vocabularies are read from ``policies`` and ``workflows`` (the source of every id), and a
test checks that each id has a label here and each label a Dutch translation.
"""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

import policies
import workflows
from policies import vocabulary as v

# kind -> id -> label.  Ids missing here fall back to a humanised id (and fail the test).
LABELS: dict[str, dict[str, LazyString]] = {
    "role": {},
    "state": {},
    "trigger": {},
    "guard": {},
    "rule": {},
    "sphere": {},
    "decision": {},
    "organisation_kind": {},
    "context": {},
    "phase": {},
    "informing_status": {},
    "informed_party": {},
    "consent": {},
    "compartment": {},
    "audience": {},
    "referral_kind": {},
    "agenda_reason": {},
    "feedback_state": {},
    "clearance": {},
    "outcome": {},
}


def vocabularies() -> dict[str, tuple[str, ...]]:
    """Every id a page may show, per kind: what :data:`LABELS` must cover."""
    states: set[str] = set()
    triggers: set[str] = set()
    guards: set[str] = set()
    for pathway in workflows.ALL:
        states.update(pathway.states)
        for t in pathway.transitions:
            triggers.add(t.trigger)
            guards.update(t.guards)
    return {
        "role": v.CASE_ROLES + v.LIVC_ROLES + v.OVERSIGHT_ROLES + v.ACCESS_ROLES,
        "state": tuple(sorted(states)),
        "trigger": tuple(sorted(triggers)),
        "guard": tuple(sorted(guards)),
        "rule": tuple(sorted(policies.RULES)),
        "sphere": v.SPHERES_OF_LIFE,
        "decision": v.DECISIONS,
        "organisation_kind": v.ORGANISATION_KINDS,
        "context": v.CASE_CONTEXTS,
        "phase": v.RADICALISATION_PHASES,
        "informing_status": v.INFORMING_STATUSES,
        "informed_party": v.INFORMED_PARTIES,
        "consent": v.CONSENT_VALUES,
        "compartment": v.NOTE_COMPARTMENTS,
        "audience": v.DISCLOSURE_AUDIENCES,
        "referral_kind": v.REFERRAL_KINDS,
        "agenda_reason": v.AGENDA_REASONS,
        "feedback_state": v.FEEDBACK_STATES,
        "clearance": v.SECURITY_CLEARANCES,
        "outcome": ("allowed", "denied"),
    }


def humanise(value: str) -> str:
    return value.replace("_", " ").replace(":", " ").strip().capitalize()


def label(value: Any, kind: str) -> str:
    """The translated plain-words label of ``value`` (an id of ``kind``)."""
    if value is None or value == "":
        return ""
    text = str(value)
    found = LABELS.get(kind, {}).get(text)
    return str(found) if found is not None else humanise(text)


def label_id(value: Any, kind: str) -> Markup:
    """The label with the id beside it as small secondary text (for support calls)."""
    if value is None or value == "":
        return Markup("")
    return Markup('{} <small class="id">{}</small>').format(
        label(value, kind), escape(str(value)))


def init_app(app: Any) -> None:
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["label_id"] = label_id


__all__ = ["LABELS", "_l", "init_app", "label", "label_id", "vocabularies"]
