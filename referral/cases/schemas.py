from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from policies.vocabulary import (
    CASE_CONTEXTS,
    CONSENT_VALUES,
    INFORMED_PARTIES,
    INFORMING_STATUSES,
    RADICALISATION_PHASES,
    REIDENTIFY_REASONS,
)
from referral.core.schemas import InputSchema, OutputSchema, PageQuery, text


class IdentityIn(InputSchema):
    national_number = fields.String(validate=validate.Length(max=20))
    family_name = fields.String(validate=validate.Length(max=200))
    given_names = fields.String(validate=validate.Length(max=200))
    birth_date = fields.Date()


class CaseIn(InputSchema):
    livc_id = fields.UUID(required=True)
    identity = fields.Nested(IdentityIn, required=True)
    context = fields.String(load_default="community", validate=validate.OneOf(CASE_CONTEXTS))
    phase = fields.String(allow_none=True, validate=validate.OneOf(RADICALISATION_PHASES))
    informing_status = fields.String(allow_none=True,
                                     validate=validate.OneOf(INFORMING_STATUSES))
    informing_ground = text(300, required=False, allow_none=True)
    informed_party = fields.String(allow_none=True, validate=validate.OneOf(INFORMED_PARTIES))
    consent = fields.String(load_default="unknown", validate=validate.OneOf(CONSENT_VALUES))
    municipality_nis = fields.String(allow_none=True,
                                     validate=validate.Regexp(r"^\d{5}$", error="5 digits."))


class CasePatch(InputSchema):
    phase = fields.String(allow_none=True, validate=validate.OneOf(RADICALISATION_PHASES))
    context = fields.String(validate=validate.OneOf(CASE_CONTEXTS))
    informing_status = fields.String(validate=validate.OneOf(INFORMING_STATUSES))
    informing_ground = text(300, required=False, allow_none=True)
    informed_party = fields.String(validate=validate.OneOf(INFORMED_PARTIES))
    consent = fields.String(validate=validate.OneOf(CONSENT_VALUES))
    coordinator_user_id = fields.UUID(allow_none=True)
    version = fields.Integer(validate=validate.Range(min=1))


class CaseOut(OutputSchema):
    id = fields.UUID()
    reference = fields.String()
    pseudonym = fields.String()
    state = fields.String()
    version = fields.Integer()
    owner_organisation_id = fields.UUID()
    livc_id = fields.UUID()
    pathway = fields.String()
    pathway_version = fields.Integer()
    coordinator_organisation_id = fields.UUID(allow_none=True)
    coordinator_user_id = fields.UUID(allow_none=True)
    context = fields.String()
    phase = fields.String(allow_none=True)
    municipality_nis = fields.String(allow_none=True)
    age_band = fields.String()
    is_minor = fields.Boolean()
    informing_status = fields.String(allow_none=True)
    informing_ground = fields.String(allow_none=True)
    informed_party = fields.String(allow_none=True)
    consent = fields.String()
    screening_due = fields.Date(allow_none=True)
    next_review_due = fields.Date(allow_none=True)
    opened_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    retention_until = fields.Date(allow_none=True)
    access = fields.String(metadata={"description": "full, or reduced (offered referral)"})
    access_rule = fields.String()
    matches = fields.Integer()
    purpose = fields.String(metadata={"description": "reduced header: the referral's purpose"})
    # Free-text fields kept by the organisation that wrote them (policies/README.md).
    withheld_fields = fields.List(fields.String())


class CaseQuery(PageQuery):
    state = fields.String()
    livc_id = fields.UUID()
    review_overdue = fields.Boolean()


class TransitionIn(InputSchema):
    trigger = fields.String(required=True, validate=validate.Length(min=1, max=60))
    version = fields.Integer(validate=validate.Range(min=1))
    reason = text(2000, required=False, allow_none=True)
    outcome = text(500, required=False, allow_none=True)


class AvailableTransitionOut(OutputSchema):
    trigger = fields.String()
    dest = fields.String()
    label = fields.String()
    allowed = fields.Boolean()
    reason = fields.String()
    requires_reason = fields.Boolean()
    requires_outcome = fields.Boolean()


class HistoryOut(OutputSchema):
    id = fields.UUID()
    trigger = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor_user_id = fields.UUID(allow_none=True)
    actor_organisation_id = fields.UUID(allow_none=True)
    reason = fields.String(allow_none=True)
    # A reason was given but is its organisation's content (policies.cases.reads_free_text).
    reason_withheld = fields.Boolean()
    meeting_id = fields.UUID(allow_none=True)
    at = fields.AwareDateTime()
    # A LIVC decision's entry: its reason reads "LIVC decision <kind> (meeting of <date>)".
    decision_id = fields.UUID(allow_none=True)


def _meaningful(value: str) -> None:
    # A reason is read by auditors: it must contain words, not only spaces or
    # invisible characters.
    if sum(ch.isalnum() for ch in value) < 3:
        raise ValidationError("Give a reason in words (at least three letters or digits).")


class ReasonIn(InputSchema):
    reason = fields.String(required=True,
                           validate=[validate.Length(min=1, max=2000), _meaningful])


class ReidentifyIn(ReasonIn):
    reason_category = fields.String(load_default="other",
                                    validate=validate.OneOf(REIDENTIFY_REASONS))


class IdentityOut(OutputSchema):
    identity = fields.Dict()


class BreakGlassOut(OutputSchema):
    id = fields.UUID()
    case_id = fields.UUID()
    expires_at = fields.AwareDateTime()


class AccessLogOut(OutputSchema):
    seq = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.UUID(attribute="actor_user_id", allow_none=True)
    actor_organisation_id = fields.UUID(allow_none=True)
    action = fields.String()
    outcome = fields.String()
    rule = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
