"""Schemas of the auditor's API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from referral.core.schemas import InputSchema, Instant, OutputSchema, PageQuery

OUTCOMES = ("allowed", "denied")


def _when(**kw: Any) -> Instant:
    return Instant(**kw)


class AuditFilterQuery(Schema):
    """Filters of the event search and export; ``since`` inclusive, ``until`` exclusive."""

    actor_id = fields.UUID()
    organisation_id = fields.UUID()
    case_id = fields.UUID()
    action = fields.String(validate=validate.Length(min=1, max=60))
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    since = _when()
    until = _when()

    @validates_schema
    def _since_before_until(self, data: dict[str, Any], **_kw: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            raise ValidationError("until must be later than since.", "until")


class AuditEventQuery(PageQuery, AuditFilterQuery):
    pass


class VerifyQuery(Schema):
    from_seq = fields.Integer(validate=validate.Range(min=1))


class AuditEventOut(OutputSchema):
    seq = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_organisation_id = fields.UUID(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    purpose = fields.String(allow_none=True)
    outcome = fields.String()
    rule = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    hash = fields.String(metadata={"description": "SHA-256, lowercase hex"})
    prev_hash = fields.String(metadata={"description": "SHA-256, lowercase hex"})


class VerifyOut(OutputSchema):
    ok = fields.Boolean()
    checked = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)


class CheckpointOut(OutputSchema):
    seq = fields.Integer()
    hash = fields.String(metadata={"description": "the chain head's SHA-256, lowercase hex"})
    signature = fields.String(metadata={"description": "Ed25519 signature, base64"})
    public_key_id = fields.String()
    at = fields.String(metadata={"description": "UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ"})


class CheckpointExportOut(CheckpointOut):
    algorithm = fields.String()
    public_key = fields.String(allow_none=True,
                               metadata={"description": "raw Ed25519 public key, base64"})
    message = fields.String(metadata={"description": "the exact ASCII text that was signed"})


# -- the auditor's workspace: break-glass reviews and anomaly flags -------------------------


class BreakGlassQuery(PageQuery):
    """``reviewed=false``: uses awaiting review; ``true``: reviewed ones; absent: all."""

    reviewed = fields.Boolean()


class BreakGlassUseOut(OutputSchema):
    id = fields.UUID()
    case_id = fields.UUID()
    user_id = fields.UUID()
    organisation_id = fields.UUID()
    reason = fields.String()
    granted_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    reviewed_at = fields.AwareDateTime(allow_none=True)
    reviewed_by_user_id = fields.UUID(allow_none=True)
    review_comment = fields.String(allow_none=True)
    version = fields.Integer()


class BreakGlassReviewIn(InputSchema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    version = fields.Integer(validate=validate.Range(min=1),
                             metadata={"description": "the version last seen (or If-Match)"})


class AnomalyQuery(Schema):
    """The window, ``since`` inclusive, ``until`` exclusive (default: the last 7 days)."""

    since = _when()
    until = _when()

    @validates_schema
    def _since_before_until(self, data: dict[str, Any], **_kw: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            raise ValidationError("until must be later than since.", "until")


class UnrelatedAccessOut(OutputSchema):
    user_id = fields.UUID()
    organisation_id = fields.UUID(allow_none=True)
    denials = fields.Integer(metadata={"description": "denied with rule no_relation"})
    break_glass = fields.Integer(metadata={"description": "break-glass uses"})
    total = fields.Integer()
    cases = fields.Integer(metadata={"description": "distinct cases concerned"})


class ReidentificationFlagOut(OutputSchema):
    user_id = fields.UUID()
    organisation_id = fields.UUID(allow_none=True)
    day = fields.Date(metadata={"description": "local day (Europe/Brussels)"})
    count = fields.Integer()


class OffHoursOut(OutputSchema):
    user_id = fields.UUID()
    organisation_id = fields.UUID(allow_none=True)
    count = fields.Integer()
    cases = fields.Integer(metadata={"description": "distinct cases concerned"})
    first_at = fields.AwareDateTime()
    last_at = fields.AwareDateTime()


class NewAccountOut(OutputSchema):
    user_id = fields.UUID()
    organisation_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
    first_read_at = fields.AwareDateTime()
    reads = fields.Integer(metadata={"description": "content reads in its first 24 hours"})


class MatchProbeOut(OutputSchema):
    user_id = fields.UUID()
    organisation_id = fields.UUID(allow_none=True)
    cases = fields.Integer(metadata={"description": "registered with a match, closed as no "
                                                    "concern within a day"})
    last_at = fields.AwareDateTime()


class AnomaliesOut(OutputSchema):
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    timezone = fields.String()
    office_hours = fields.String()
    unrelated_access_threshold = fields.Integer()
    reidentification_threshold = fields.Integer(
        metadata={"description": "per user and local day"})
    unrelated_access = fields.List(fields.Nested(UnrelatedAccessOut))
    reidentifications = fields.List(fields.Nested(ReidentificationFlagOut))
    off_hours = fields.List(fields.Nested(OffHoursOut))
    new_accounts = fields.List(fields.Nested(NewAccountOut))
    match_probes = fields.List(fields.Nested(MatchProbeOut))
