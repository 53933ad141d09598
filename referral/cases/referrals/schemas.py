from __future__ import annotations

from marshmallow import fields, validate

from policies.vocabulary import REFERRAL_KINDS, SPHERES_OF_LIFE
from referral.core.schemas import InputSchema, OutputSchema, PageQuery, text


class ReferralIn(InputSchema):
    to_organisation_id = fields.UUID(required=True)
    to_user_id = fields.UUID(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(REFERRAL_KINDS))
    sphere_of_life = fields.String(allow_none=True, validate=validate.OneOf(SPHERES_OF_LIFE))
    purpose = text(500)
    legal_basis = text(300, required=False, allow_none=True)


class PartnerPathwayOut(OutputSchema):
    id = fields.UUID()
    pathway = fields.String()
    pathway_version = fields.Integer()
    state = fields.String()
    version = fields.Integer()
    started_at = fields.AwareDateTime()


class ReferralOut(OutputSchema):
    id = fields.UUID()
    case_id = fields.UUID()
    from_organisation_id = fields.UUID(allow_none=True)
    # Set instead of from_organisation_id for a LIVC decision's referral.
    from_livc_id = fields.UUID(allow_none=True)
    from_user_id = fields.UUID()
    to_organisation_id = fields.UUID()
    to_user_id = fields.UUID(allow_none=True)
    kind = fields.String()
    sphere_of_life = fields.String(allow_none=True)
    purpose = fields.String()
    legal_basis = fields.String(allow_none=True)
    state = fields.String()
    version = fields.Integer()
    reason = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    # A reason or outcome was written, by the organisation whose content it is.
    reason_withheld = fields.Boolean()
    offered_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    partner_pathway = fields.Nested(PartnerPathwayOut, allow_none=True)


class ReferralQuery(PageQuery):
    direction = fields.String(validate=validate.OneOf(("incoming", "outgoing")))
    state = fields.String()
    case_id = fields.UUID()


class ReferralTransitionIn(InputSchema):
    trigger = fields.String(required=True, validate=validate.Length(min=1, max=60))
    version = fields.Integer(validate=validate.Range(min=1))
    reason = text(2000, required=False, allow_none=True)
    outcome = text(500, required=False, allow_none=True)
