from __future__ import annotations

from marshmallow import Schema, fields, validate

from policies.vocabulary import ROLES, SECURITY_CLEARANCES
from referral.core.schemas import InputSchema, OutputSchema, PageSchema, text


class LoginIn(InputSchema):
    username = text(80)
    password = text(256)
    otp = fields.String(allow_none=True, validate=validate.Length(max=20))


class RoleIn(InputSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    livc_id = fields.UUID(allow_none=True, load_default=None)


class RoleOut(OutputSchema):
    role = fields.String()
    livc_id = fields.UUID(allow_none=True)


class OrganisationRef(OutputSchema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()


class UserOut(OutputSchema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    organisation_id = fields.UUID()
    organisation = fields.Nested(OrganisationRef)
    roles = fields.List(fields.Nested(RoleOut))
    active = fields.Boolean()
    security_clearance = fields.String()
    mfa_required = fields.Boolean()
    mfa_enrolled = fields.Boolean()
    version = fields.Integer()


class UserPage(PageSchema):
    items = fields.List(fields.Nested(UserOut))


USERNAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,79}$",
                           error="3-80 letters, digits, '.', '_', '@' or '-'.")


class UserIn(InputSchema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=256))
    organisation_id = fields.UUID(required=True)
    roles = fields.List(fields.Nested(RoleIn), load_default=list)
    mfa_required = fields.Boolean(load_default=True)
    security_clearance = fields.String(load_default="none",
                                       validate=validate.OneOf(SECURITY_CLEARANCES))


class UserPatch(InputSchema):
    active = fields.Boolean()
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    roles = fields.List(fields.Nested(RoleIn))
    display_name = text(200, required=False)
    security_clearance = fields.String(validate=validate.OneOf(SECURITY_CLEARANCES))
    mfa_required = fields.Boolean()
    reset_mfa = fields.Boolean()  # remove the enrolled factor: the user enrols again
    version = fields.Integer(validate=validate.Range(min=1))


class LoginOut(OutputSchema):
    user = fields.Nested(UserOut)
    csrf_token = fields.String()


class CsrfOut(OutputSchema):
    csrf_token = fields.String()


class TokenIn(InputSchema):
    name = text(100)
    expires_in_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))


class TokenCreated(OutputSchema):
    id = fields.UUID()
    token = fields.String()
    name = fields.String()
    expires_at = fields.AwareDateTime()


class TokenOut(OutputSchema):
    id = fields.UUID()
    name = fields.String()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class SessionOut(OutputSchema):
    id = fields.UUID()
    created_at = fields.AwareDateTime()
    last_seen_at = fields.AwareDateTime()
    client_address = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    current = fields.Boolean()


class PasswordChangeIn(InputSchema):
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(max=256))


class OtpIn(InputSchema):
    otp = fields.String(required=True, validate=validate.Length(min=1, max=20))


class MfaChangeIn(InputSchema):
    """The password again, to change the second factor (not needed right after it was
    given, in the pending session of a first login)."""

    password = fields.String(validate=validate.Length(max=256))


class StepUpOut(OutputSchema):
    mfa_verified_at = fields.AwareDateTime()
    csrf_token = fields.String()


class MfaStatusOut(OutputSchema):
    enrolled = fields.Boolean()
    enrolled_at = fields.AwareDateTime(allow_none=True)
    required = fields.Boolean()
    enrolment_pending = fields.Boolean()
    recovery_codes_left = fields.Integer()
    mfa_verified_at = fields.AwareDateTime(allow_none=True)


class MfaEnrolOut(OutputSchema):
    secret = fields.String()
    otpauth_uri = fields.String()
    qr_svg = fields.String(metadata={"description": "data: URI of an SVG QR code"})


class RecoveryCodesOut(OutputSchema):
    recovery_codes = fields.List(fields.String())
    csrf_token = fields.String()


class EndSessionsQuery(Schema):
    tokens = fields.Boolean(load_default=False,
                            metadata={"description": "also revoke the personal API tokens"})


class EndedOut(OutputSchema):
    sessions_ended = fields.Integer()
    tokens_revoked = fields.Integer()
