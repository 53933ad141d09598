from __future__ import annotations

from marshmallow import fields, validate

from policies.vocabulary import DISCLOSURE_AUDIENCES, NOTE_COMPARTMENTS
from referral.core.schemas import InputSchema, OutputSchema, text


class NoteIn(InputSchema):
    body = fields.String(required=True, validate=validate.Length(min=1))
    compartment = fields.String(required=True, validate=validate.OneOf(NOTE_COMPARTMENTS))


class DisclosureIn(InputSchema):
    audience = fields.String(required=True, validate=validate.OneOf(DISCLOSURE_AUDIENCES))
    purpose = text(500)
    legal_basis = text(300)


class DisclosureOut(OutputSchema):
    id = fields.UUID()
    note_id = fields.UUID()
    audience = fields.String()
    purpose = fields.String()
    legal_basis = fields.String()
    disclosed_by_user_id = fields.UUID()
    disclosed_by_organisation_id = fields.UUID()
    created_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)


class NoteCreated(OutputSchema):
    id = fields.UUID()
    case_id = fields.UUID()
    compartment = fields.String()
    author_organisation_id = fields.UUID()
    author_user_id = fields.UUID()
    created_at = fields.AwareDateTime()


class NoteOut(NoteCreated):
    body = fields.String()
    disclosures = fields.List(fields.Nested(DisclosureOut))
    access_rule = fields.String()
