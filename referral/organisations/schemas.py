from __future__ import annotations

from marshmallow import fields, validate

from policies.vocabulary import ORGANISATION_KINDS
from referral.core.schemas import InputSchema, OutputSchema, PageSchema, StringOrList, text


class OrganisationIn(InputSchema):
    name = text(200)
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))


class OrganisationPatch(InputSchema):
    name = text(200, required=False)
    kind = fields.String(validate=validate.OneOf(ORGANISATION_KINDS))
    version = fields.Integer(validate=validate.Range(min=1))


class OrganisationOut(OutputSchema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    version = fields.Integer()


class OrganisationPage(PageSchema):
    items = fields.List(fields.Nested(OrganisationOut))


class LivcIn(InputSchema):
    name = text(200)
    municipality_nis = StringOrList(required=True)
    member_organisation_ids = fields.List(fields.UUID(), load_default=list)
    review_interval_days = fields.Integer(load_default=90,
                                          validate=validate.Range(min=7, max=366))
    retention_years = fields.Integer(load_default=5, validate=validate.Range(min=1, max=30))


class MemberIn(InputSchema):
    organisation_id = fields.UUID(required=True)


class MemberOut(OutputSchema):
    organisation_id = fields.UUID()
    organisation_name = fields.String(attribute="organisation.name")
    organisation_kind = fields.String(attribute="organisation.kind")
    invited_by_user_id = fields.UUID(allow_none=True)
    invited_at = fields.AwareDateTime()


class LivcOut(OutputSchema):
    id = fields.UUID()
    name = fields.String()
    municipality_nis = fields.List(fields.String())
    members = fields.List(fields.Nested(MemberOut))
    review_interval_days = fields.Integer()
    retention_years = fields.Integer()
    version = fields.Integer()


class LivcPage(PageSchema):
    items = fields.List(fields.Nested(LivcOut))


class ResponseTimesOut(OutputSchema):
    """Counts only (referral.organisations.response_times): never a case."""

    organisation_id = fields.UUID()
    status = fields.String(metadata={"enum": ["green", "amber", "red"]})
    referrals_answered_in_time = fields.Integer()
    referrals_answered = fields.Integer()
    referrals_expired = fields.Integer()
    referrals_unanswered = fields.Integer()
    referrals_overdue = fields.Integer()
    oldest_unanswered_working_days = fields.Integer(allow_none=True)
    screenings_overdue = fields.Integer()
    reviews_overdue = fields.Integer()
    as_of = fields.Date()
    since = fields.Date()
    amber_share = fields.Float()
    livc_ids = fields.List(fields.UUID(), allow_none=True,
                           metadata={"description": "A LIVC chair's or coordinator's view: "
                                     "the LIVCs whose cases are counted; null: all cases"})
