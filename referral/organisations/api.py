from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields, validate

from policies.vocabulary import ORGANISATION_KINDS
from referral.core import db
from referral.core.actor import current_actor
from referral.core.schemas import PageQuery
from referral.organisations import response_times, services
from referral.organisations.schemas import (
    LivcIn,
    LivcOut,
    MemberIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    ResponseTimesOut,
)
from referral.web.api import api_blueprint, expected_version, page_of, route

bp = api_blueprint("organisations")


class OrganisationQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(ORGANISATION_KINDS))


@route(bp, "/organisations", "POST", action="organisation:create", body=OrganisationIn,
       response=OrganisationOut, status=201, summary="Create an organisation (admin)")
def create_organisation(body: dict[str, Any]) -> Any:
    return services.create_organisation(db.session(), current_actor(), body)


@route(bp, "/organisations", "GET", action="organisation:list", query=OrganisationQuery,
       response=OrganisationOut, paginated=True, summary="List organisations")
def list_organisations(query: dict[str, Any]) -> Any:
    rows, total = services.list_organisations(db.session(), query["page"], query["per_page"],
                                              query.get("kind"))
    return page_of(rows, total, query["page"], query["per_page"])


@route(bp, "/organisations/<uuid:org_id>", "GET", action="organisation:read",
       response=OrganisationOut, summary="One organisation")
def get_organisation(org_id: uuid.UUID) -> Any:
    return services.get_organisation(db.session(), org_id)


@route(bp, "/organisations/<uuid:org_id>", "PATCH", action="organisation:update",
       body=OrganisationPatch, response=OrganisationOut, statuses=(409,),
       summary="Rename an organisation or change its kind (admin)")
def update_organisation(org_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.update_organisation(db.session(), current_actor(), org_id, body,
                                        expected_version(body))


@route(bp, "/livcs", "POST", action="livc:create", body=LivcIn, response=LivcOut, status=201,
       summary="Create a LIVC with its member organisations (admin)")
def create_livc(body: dict[str, Any]) -> Any:
    return services.create_livc(db.session(), current_actor(), body)


@route(bp, "/livcs", "GET", action="livc:list", query=PageQuery, response=LivcOut,
       paginated=True, summary="List LIVCs")
def list_livcs(query: dict[str, Any]) -> Any:
    rows, total = services.list_livcs(db.session(), query["page"], query["per_page"])
    return page_of(rows, total, query["page"], query["per_page"])


@route(bp, "/livcs/<uuid:livc_id>", "GET", action="livc:read", response=LivcOut,
       summary="One LIVC with its members")
def get_livc(livc_id: uuid.UUID) -> Any:
    return services.get_livc(db.session(), livc_id)


@route(bp, "/livcs/<uuid:livc_id>/members", "POST", action="livc:update", body=MemberIn,
       response=LivcOut, status=201, summary="Invite a partner organisation into a LIVC (admin)")
def add_member(livc_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.add_member(db.session(), current_actor(), livc_id, body["organisation_id"])


@route(bp, "/livcs/<uuid:livc_id>/members/<uuid:organisation_id>", "DELETE",
       action="livc:update", response=LivcOut, summary="End a partner organisation's "
       "membership of a LIVC (admin; refused while its users hold roles in the LIVC)")
def remove_member(livc_id: uuid.UUID, organisation_id: uuid.UUID) -> Any:
    return services.remove_member(db.session(), current_actor(), livc_id, organisation_id)


@route(bp, "/organisations/<uuid:org_id>/response-times", "GET",
       action="organisation:response_times", response=ResponseTimesOut,
       summary="Referrals answered in time, the oldest unanswered, overdue screenings and "
               "reviews, red/amber/green (the organisation; a LIVC's chair, its cases)")
def get_response_times(org_id: uuid.UUID) -> Any:
    return response_times.response_times(db.session(), current_actor(), org_id)
