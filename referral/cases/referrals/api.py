from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response
from marshmallow import fields

from referral.cases.referrals import fhir, services
from referral.cases.referrals.schemas import (
    PartnerPathwayOut,
    ReferralIn,
    ReferralOut,
    ReferralQuery,
    ReferralTransitionIn,
)
from referral.cases.schemas import AvailableTransitionOut
from referral.core import db
from referral.core.actor import current_actor
from referral.core.schemas import OutputSchema
from referral.web.api import api_blueprint, expected_version, route

bp = api_blueprint("referrals")


class PartnerPathwayView(OutputSchema):
    pathway = fields.Nested(PartnerPathwayOut)
    transitions = fields.List(fields.Nested(AvailableTransitionOut))


@route(bp, "/cases/<uuid:case_id>/referrals", "POST", action="case:refer", body=ReferralIn,
       response=ReferralOut, status=201, statuses=(409,),
       summary="Offer the case (or a part of it) to another organisation")
def create_referral(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.create_referral(db.session(), current_actor(), case_id, body)


@route(bp, "/referrals", "GET", action="referral:list", query=ReferralQuery,
       response=ReferralOut, paginated=True,
       summary="Referrals of your organisation (incoming is the inbox)")
def list_referrals(query: dict[str, Any]) -> Any:
    return services.list_referrals(db.session(), current_actor(), query)


@route(bp, "/referrals/<uuid:referral_id>", "GET", action="referral:read",
       response=ReferralOut, summary="One referral")
def get_referral(referral_id: uuid.UUID) -> Any:
    return services.get_referral(db.session(), current_actor(), referral_id)


@route(bp, "/referrals/<uuid:referral_id>/transitions", "POST", action="referral:transition",
       body=ReferralTransitionIn, response=ReferralOut, statuses=(409,),
       summary="accept, decline (reason), withdraw, start, complete (outcome), end (reason)")
def transition_referral(referral_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.transition_referral(db.session(), current_actor(), referral_id, body,
                                        expected_version(body))


@route(bp, "/referrals/<uuid:referral_id>/pathway", "GET", action="referral:read",
       response=PartnerPathwayView, summary="The partner pathway of an active referral")
def get_partner_pathway(referral_id: uuid.UUID) -> Any:
    return services.get_partner_pathway(db.session(), current_actor(), referral_id)


@route(bp, "/referrals/<uuid:referral_id>/pathway/transitions", "POST",
       action="partner_pathway:progress", body=ReferralTransitionIn,
       response=PartnerPathwayOut, statuses=(409,),
       summary="Move the partner pathway (recipient organisation)")
def transition_partner_pathway(referral_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.transition_partner_pathway(db.session(), current_actor(), referral_id,
                                               body, expected_version(body))


@route(bp, "/referrals/<uuid:referral_id>/fhir", "GET", action="referral:read",
       content_type="application/fhir+json",
       summary="The referral and its status history as a FHIR R4 Bundle (pseudonymous)")
def export_fhir(referral_id: uuid.UUID) -> Any:
    bundle = fhir.export(db.session(), current_actor(), referral_id)
    return Response(json.dumps(bundle), mimetype="application/fhir+json")
