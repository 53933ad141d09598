from __future__ import annotations

import uuid
from typing import Any

from flask import Response

from referral.accounts import sessions
from referral.cases import services
from referral.cases.schemas import (
    AccessLogOut,
    AvailableTransitionOut,
    BreakGlassOut,
    CaseIn,
    CaseOut,
    CasePatch,
    CaseQuery,
    HistoryOut,
    IdentityOut,
    ReasonIn,
    ReidentifyIn,
    TransitionIn,
)
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.schemas import PageQuery
from referral.web import ratelimit
from referral.web.api import api_blueprint, expected_version, route

bp = api_blueprint("cases")
CASE = "/cases/<uuid:case_id>"


@route(bp, "/cases", "POST", action="case:create", body=CaseIn, response=CaseOut, status=201,
       summary="Register a pseudonymised case (signalled; rate-limited per user)",
       statuses=(429,))
@ratelimit.registration_limit
def create_case(body: dict[str, Any]) -> Any:
    return services.register_case(db.session(), current_actor(), body)


@route(bp, "/cases", "GET", action="case:list", query=CaseQuery, response=CaseOut,
       paginated=True, summary="Cases this actor may see")
def list_cases(query: dict[str, Any]) -> Any:
    return services.list_cases(db.session(), current_actor(), query)


@route(bp, CASE, "GET", action="case:read", response=CaseOut, statuses=(410,),
       summary="A case header (never the identity)")
def get_case(case_id: uuid.UUID) -> Any:
    return services.read_case(db.session(), current_actor(), case_id)


@route(bp, CASE, "PATCH", action="case:update", body=CasePatch, response=CaseOut,
       statuses=(409,), summary="Update informing status, consent, phase, coordinator")
def update_case(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.update_case(db.session(), current_actor(), case_id, body,
                                expected_version(body))


@route(bp, f"{CASE}/transitions", "GET", action="case:transitions",
       response=AvailableTransitionOut, many=True,
       summary="Transitions from the current state, for this actor")
def list_transitions(case_id: uuid.UUID) -> Any:
    return services.available_transitions(db.session(), current_actor(), case_id)


@route(bp, f"{CASE}/transitions", "POST", action="case:transition", body=TransitionIn,
       response=CaseOut, statuses=(409,), summary="Fire a pathway transition")
def fire_transition(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.transition_case(db.session(), current_actor(), case_id, body,
                                    expected_version(body))


@route(bp, f"{CASE}/history", "GET", action="case:history", response=HistoryOut, many=True,
       summary="The case's transitions with actor, time and reason")
def case_history(case_id: uuid.UUID) -> Any:
    return services.history(db.session(), current_actor(), case_id)


@route(bp, f"{CASE}/diagram.svg", "GET", action="case:diagram", content_type="image/svg+xml",
       summary="The case's pathway as SVG, the current state marked")
def diagram(case_id: uuid.UUID) -> Any:
    svg = services.diagram(db.session(), current_actor(), case_id)
    return Response(svg, mimetype="image/svg+xml")


@route(bp, f"{CASE}/break-glass", "POST", action="case:break_glass", body=ReasonIn,
       response=BreakGlassOut, status=201,
       summary="Emergency header access for 24 h, with a reason (flagged for auditors)")
def break_glass(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    sessions.require_recent_mfa()
    return services.break_glass(db.session(), current_actor(), case_id, body["reason"])


@route(bp, f"{CASE}/access-log", "GET", action="case:access_log", query=PageQuery,
       response=AccessLogOut, paginated=True, summary="Who accessed this case")
def access_log(case_id: uuid.UUID, query: dict[str, Any]) -> Any:
    return services.access_log(db.session(), current_actor(), case_id, query["page"],
                               query["per_page"])


@route(bp, f"{CASE}/reidentify", "POST", action="case:reidentify", body=ReidentifyIn,
       response=IdentityOut, statuses=(410, 429),
       summary="Reveal the identity, with a reason (audited; step-up MFA; rate-limited)")
@ratelimit.reidentify_limit
def reidentify(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    if not body["reason"].strip():
        raise errors.field_error("reason", "Give a reason.")
    sessions.require_recent_mfa()
    return services.reidentify(db.session(), current_actor(), case_id, body["reason"],
                               body["reason_category"])
