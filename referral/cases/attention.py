"""What needs a reference person's or case worker's attention: the inbox's content and the
home page's counts.

Everything comes through the services the API uses (referrals, cases, matches, the LIVC's
actions); nothing here decides a rule of its own.  Bounded: the newest cases and
referrals, as many as one page of the API returns."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

import policies
import workflows
from policies.actor import Actor
from referral.cases import services
from referral.cases.referrals import services as referrals
from referral.core import calendar
from referral.privacy import services as privacy

LOOK_AT = 100  # rows read per list: one API page
MANAGING = ("owner_organisation", "case_coordinator")
SCREENING_STATES = ("signalled", "screening")


def _needs(case: dict[str, Any]) -> str | None:
    """The next thing the managing organisation has to do on ``case``, as an id the
    template says in words."""
    if case["access_rule"] not in MANAGING:
        return None
    if case["state"] == "signalled":
        return "start_screening"
    if case["state"] in {"screening", "internal_follow_up"} and not case["informing_status"]:
        return "record_informing"
    if case["state"] in {"guidance", "aftercare"} and not case["coordinator_user_id"]:
        return "appoint_coordinator"
    return None


def _overdue(case: dict[str, Any], today: Any) -> str | None:
    if case["state"] in SCREENING_STATES and case.get("screening_due") \
            and case["screening_due"] < today:
        return "screening"
    if case.get("next_review_due") and case["next_review_due"] < today:
        return "review"
    return None


# The LIVC's actions belong to the meetings feature, which imports this one: its inbox
# listing (``open_actions_for_organisation``, what GET /actions returns, audited) is handed
# in by the layer above both, referral.home, when the app is built.
ACTIONS_SOURCE = "referral.open_actions"


def open_actions(s: Session, actor: Actor) -> list[dict[str, Any]]:
    source = current_app.extensions.get(ACTIONS_SOURCE)
    if source is None or not policies.decide(actor, "action:list").allowed:
        return []
    found: list[dict[str, Any]] = source(s, actor)
    return found


def attention(s: Session, actor: Actor) -> dict[str, Any]:
    today = calendar.today()  # Brussels: what "overdue" means to the reader
    query = {"page": 1, "per_page": LOOK_AT}
    incoming = referrals.list_referrals(s, actor, {**query, "direction": "incoming"})["items"]
    outgoing = referrals.list_referrals(s, actor, {**query, "direction": "outgoing"})["items"]
    cases = services.list_cases(s, actor, query)["items"] if actor.has_case_role else []
    matches = (privacy.list_matches(s, actor)
               if policies.decide(actor, "match:list").allowed else [])
    open_states = set(workflows.OPEN_REFERRAL_STATES)
    return {
        "incoming": [r for r in incoming if r["state"] in open_states],
        "outgoing": outgoing,
        "needing_action": [(c, need) for c in cases if (need := _needs(c))],
        "overdue": [(c, late) for c in cases if (late := _overdue(c, today))],
        "matches": matches,
        "actions": open_actions(s, actor),
        "visible_cases": {c["id"] for c in cases if c["access"] == "full"},
        "may_decide": actor.has_role("reference_person"),
    }
