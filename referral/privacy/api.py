from __future__ import annotations

import uuid
from typing import Any

from flask import Response, render_template, request
from marshmallow import fields, validate

from referral.core import db
from referral.core.actor import current_actor
from referral.core.schemas import InputSchema, OutputSchema
from referral.privacy import assurance, services
from referral.web.api import api_blueprint, route

bp = api_blueprint("privacy")


class HoldIn(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class HoldOut(OutputSchema):
    id = fields.UUID()
    legal_hold = fields.Boolean()
    legal_hold_reason = fields.String(allow_none=True)
    version = fields.Integer()


class OrgRef(OutputSchema):
    id = fields.UUID()
    name = fields.String(allow_none=True)


class MatchOut(OutputSchema):
    case_id = fields.UUID()
    case_reference = fields.String()
    other_organisation = fields.Nested(OrgRef, allow_none=True)
    contact_reference_person = fields.String(allow_none=True)
    same_livc = fields.Boolean(metadata={"description": "false: known in another LIVC, the "
                                                        "holder is not named"})
    detected_at = fields.AwareDateTime()


class ReportIn(InputSchema):
    national_number = fields.String(required=True, validate=validate.Length(min=11, max=20))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")))


class ReportCase(OutputSchema):
    case_id = fields.UUID()
    reference = fields.String()
    state = fields.String()
    owner_organisation = fields.String(allow_none=True)
    organisations_involved = fields.List(fields.String())
    opened_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    retention_until = fields.Date(allow_none=True)
    purged = fields.Boolean()


class ReportAccess(OutputSchema):
    at = fields.AwareDateTime()
    case_id = fields.UUID()
    actor = fields.String()
    organisation = fields.String(allow_none=True)
    action = fields.String()
    outcome = fields.String()
    rule = fields.String(allow_none=True)


class ReportOut(OutputSchema):
    pseudonym = fields.String()
    cases = fields.List(fields.Nested(ReportCase))
    accesses = fields.List(fields.Nested(ReportAccess))
    truncated = fields.Boolean()


@route(bp, "/cases/<uuid:case_id>/legal-hold", "POST", action="case:legal_hold", body=HoldIn,
       response=HoldOut, summary="Place a legal hold that blocks purging (DPO)")
def place_hold(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.set_legal_hold(db.session(), current_actor(), case_id, body["reason"])


@route(bp, "/cases/<uuid:case_id>/legal-hold", "DELETE", action="case:legal_hold",
       response=HoldOut, summary="Lift a legal hold (DPO)")
def lift_hold(case_id: uuid.UUID) -> Any:
    return services.set_legal_hold(db.session(), current_actor(), case_id, None)


@route(bp, "/matches", "GET", action="match:list", response=MatchOut, many=True,
       summary="Other organisations involved with the same persons as your cases")
def matches() -> Any:
    return services.list_matches(db.session(), current_actor())


@route(bp, "/access-reports", "POST", action="dsar:generate", body=ReportIn,
       response=ReportOut, summary="Data-subject access report: cases and who accessed them (DPO)")
def access_report(body: dict[str, Any]) -> Any:
    report = services.access_report(db.session(), current_actor(), body["national_number"])
    if body["format"] == "html":
        return Response(render_template("access_report.html", report=report),
                        mimetype="text/html")
    return report


class AssuranceQuery(InputSchema):
    livc_id = fields.UUID(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=9999))


# Counts are integers of 5 and more or the string "<5" (small-count suppression).
Suppressed = fields.Raw(metadata={"description": 'an integer >= 5, 0, or the string "<5"'})


class ReasonCount(OutputSchema):
    reason_category = fields.String()
    count = Suppressed


class AssuranceOut(OutputSchema):
    livc_id = fields.UUID()
    livc_name = fields.String()
    year = fields.Integer()
    period = fields.Dict()
    reidentifications = fields.Dict()
    break_glass = fields.Dict()
    disclosures = fields.Dict()
    denials = Suppressed
    retention_purges = Suppressed
    legal_holds = fields.Dict()
    chain = fields.Dict()
    generated_at = fields.AwareDateTime()


@route(bp, "/assurance-report", "GET", action="assurance:read", query=AssuranceQuery,
       response=AssuranceOut, summary="The annual assurance report of a LIVC: counts only "
       "(DPO, the LIVC's chair); printable HTML with Accept: text/html")
def assurance_report(query: dict[str, Any]) -> Any:
    report = assurance.report(db.session(), current_actor(), query["livc_id"], query["year"])
    if request.accept_mimetypes.best == "text/html":
        return Response(render_template("privacy/assurance_report.html", report=report),
                        mimetype="text/html")
    return report
