from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields, validate

from policies.vocabulary import ORGANISATION_KINDS
from referral.core import db
from referral.core.actor import current_actor
from referral.core.schemas import PageQuery
from referral.organisations import services
from referral.organisations.schemas import (
    LivcIn,
    LivcOut,
    MemberIn,
    OrganisationIn,
    OrganisationOut,
)
from referral.web.api import api_blueprint, page_of, route

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
