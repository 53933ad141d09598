from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields, validate

from policies.vocabulary import (
    ACTION_STATUSES,
    AGENDA_REASONS,
    DECISIONS,
    REFERRAL_KINDS,
    SPHERES_OF_LIFE,
    WITHHELD_REASONS,
)
from referral.cases.schemas import CaseOut
from referral.core.schemas import InputSchema, OutputSchema, PageQuery
from referral.core.schemas import text as bounded

# --- input -----------------------------------------------------------------------------


def _plausible_date(value: datetime) -> None:
    # Years at the edge of the calendar overflow when converted to UTC.
    if not 2000 <= value.year <= 2100:
        raise ValidationError("Choose a date between the years 2000 and 2100.")


class MeetingIn(InputSchema):
    scheduled_at = fields.AwareDateTime(required=True, validate=_plausible_date)
    attendee_user_ids = fields.List(fields.UUID(), required=True,
                                    validate=validate.Length(max=100))
    location = bounded(200, required=False, allow_none=True)


class AttendeeIn(InputSchema):
    user_id = fields.UUID(required=True)


class PresenceIn(InputSchema):
    present = fields.Boolean(required=True)


class AgendaIn(InputSchema):
    case_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(AGENDA_REASONS))


class MeetingTransitionIn(InputSchema):
    trigger = fields.String(required=True, validate=validate.Length(min=1, max=60))
    version = fields.Integer(validate=validate.Range(min=1))
    reason = bounded(2000, required=False, allow_none=True)


class ActionIn(InputSchema):
    organisation_id = fields.UUID(required=True)
    description = bounded(500)
    due = fields.Date(required=True)


class DecisionReferralIn(InputSchema):
    to_organisation_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REFERRAL_KINDS))
    sphere_of_life = fields.String(allow_none=True, validate=validate.OneOf(SPHERES_OF_LIFE))
    purpose = bounded(500)
    legal_basis = bounded(300, required=False, allow_none=True)


class DecisionIn(InputSchema):
    case_id = fields.UUID(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    text = bounded(5000)
    coordinator_organisation_id = fields.UUID(allow_none=True)
    outcome = bounded(500, required=False, allow_none=True)
    actions = fields.List(fields.Nested(ActionIn), load_default=list,
                          validate=validate.Length(max=50))
    referrals = fields.List(fields.Nested(DecisionReferralIn), load_default=list,
                            validate=validate.Length(max=20))


class MinutesIn(InputSchema):
    text = bounded(100_000)
    version = fields.Integer(validate=validate.Range(min=1))


class FeedbackIn(InputSchema):
    case_id = fields.UUID(required=True)
    text = bounded(10_000)


class FeedbackPatch(InputSchema):
    text = bounded(10_000)
    version = fields.Integer(validate=validate.Range(min=1))


class SuggestionQuery(InputSchema):
    date = fields.Date(metadata={"description": "the meeting date (default: today)"})


class ActionQuery(PageQuery):
    organisation_id = fields.UUID()
    livc_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(ACTION_STATUSES),
                           metadata={"description": "default: open (unless include_done)"})
    overdue = fields.Boolean(metadata={"description": "open and past its due date (Brussels)"})
    include_done = fields.Boolean(load_default=False,
                                  metadata={"description": "every status, without status"})


class ActionPatch(InputSchema):
    status = fields.String(required=True, validate=validate.OneOf(ACTION_STATUSES))
    status_reason = bounded(500, required=False, allow_none=True,
                            metadata={"description": "required for not_possible and not_done"})
    version = fields.Integer(validate=validate.Range(min=1))
    meeting_id = fields.UUID(allow_none=True, metadata={
        "description": "the meeting in session reviewing it (default: the one carrying it)"})


class WithheldIn(InputSchema):
    case_id = fields.UUID(required=True)
    reason_category = fields.String(required=True, validate=validate.OneOf(WITHHELD_REASONS))


class FeedbackQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(("draft", "issued")))


# --- output ----------------------------------------------------------------------------


class AttendeeOut(OutputSchema):
    user_id = fields.UUID()
    display_name = fields.String()
    organisation_id = fields.UUID()
    present = fields.Boolean()
    acknowledged_at = fields.AwareDateTime(allow_none=True)


class DisclosureInfoOut(OutputSchema):
    purpose = fields.String()
    legal_basis = fields.String()
    disclosed_at = fields.AwareDateTime()


class SharedNoteOut(OutputSchema):
    id = fields.UUID()
    author_organisation_id = fields.UUID()
    created_at = fields.AwareDateTime()
    body = fields.String()
    disclosure = fields.Nested(DisclosureInfoOut)


class ReferralStateOut(OutputSchema):
    id = fields.UUID()
    to_organisation_id = fields.UUID()
    kind = fields.String()
    sphere_of_life = fields.String(allow_none=True)
    state = fields.String()
    partner_pathway = fields.String(allow_none=True)
    partner_pathway_state = fields.String(allow_none=True)


class ActionOut(OutputSchema):
    id = fields.UUID()
    decision_id = fields.UUID()
    meeting_id = fields.UUID()
    case_id = fields.UUID()
    organisation_id = fields.UUID()
    description = fields.String()
    due = fields.Date()
    done_at = fields.AwareDateTime(allow_none=True)
    status = fields.String(metadata={"description": "open, done, not_possible or not_done"})
    status_reason = fields.String(allow_none=True)
    version = fields.Integer()


class ActionListOut(ActionOut):
    livc_id = fields.UUID()
    organisation_name = fields.String(allow_none=True)
    status_changed_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()


class ActionEventOut(OutputSchema):
    at = fields.AwareDateTime()
    from_status = fields.String(allow_none=True, metadata={"description": "null: given"})
    to_status = fields.String()
    reason = fields.String(allow_none=True)
    meeting_id = fields.UUID(allow_none=True, metadata={
        "description": "the meeting that gave it or reviewed it"})
    actor_user_id = fields.UUID()
    actor_organisation_id = fields.UUID()
    actor_organisation_name = fields.String(allow_none=True)


class ActionDetailOut(ActionListOut):
    history = fields.List(fields.Nested(ActionEventOut))


class MeetingActionOut(ActionListOut):
    origin = fields.String(metadata={"description": "decided (here) or carried (for review)"})
    carried_at = fields.AwareDateTime(allow_none=True)
    reviewed = fields.Boolean(metadata={"description": "its status was updated in this "
                                                       "meeting"})


class MeetingActionsOut(OutputSchema):
    meeting_id = fields.UUID()
    state = fields.String()
    items = fields.List(fields.Nested(MeetingActionOut))


class WithheldOut(OutputSchema):
    id = fields.UUID()
    meeting_id = fields.UUID()
    case_id = fields.UUID()
    organisation_id = fields.UUID()
    organisation_name = fields.String(allow_none=True)
    recorded_at = fields.AwareDateTime()
    own = fields.Boolean(metadata={"description": "recorded by the actor's organisation"})
    reason_category = fields.String(allow_none=True, metadata={
        "description": "the recording organisation's only"})


class DecisionOut(OutputSchema):
    id = fields.UUID()
    meeting_id = fields.UUID()
    case_id = fields.UUID()
    decision = fields.String()
    text = fields.String()
    coordinator_organisation_id = fields.UUID(allow_none=True)
    decided_by_user_id = fields.UUID()
    decided_at = fields.AwareDateTime()
    case_state = fields.String()
    next_review_due = fields.Date(allow_none=True)
    actions = fields.List(fields.Nested(ActionOut))
    referral_ids = fields.List(fields.UUID())


class CaseMaterialOut(OutputSchema):
    case = fields.Nested(CaseOut)
    notes = fields.List(fields.Nested(SharedNoteOut))
    referrals = fields.List(fields.Nested(ReferralStateOut))
    decisions = fields.List(fields.Nested(DecisionOut))
    open_actions = fields.List(fields.Nested(ActionOut))


class AgendaItemOut(OutputSchema):
    id = fields.UUID()
    pseudonym = fields.String()
    reason = fields.String()
    position = fields.Integer()
    case_id = fields.UUID(metadata={"description": "after acknowledging secrecy"})
    access = fields.String(metadata={"description": "pseudonym_only, material or ended"})
    material = fields.Nested(CaseMaterialOut, allow_none=True)


class FeedbackSummaryOut(OutputSchema):
    id = fields.UUID()
    case_id = fields.UUID()
    state = fields.String()


class MeetingOut(OutputSchema):
    id = fields.UUID()
    livc_id = fields.UUID()
    scheduled_at = fields.AwareDateTime()
    location = fields.String(allow_none=True)
    state = fields.String()
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    attendees = fields.List(fields.Nested(AttendeeOut))
    acknowledged = fields.Boolean(metadata={"description": "this actor acknowledged secrecy"})
    secrecy_wording = fields.String()
    secrecy_wording_version = fields.Integer()
    minutes_drafted = fields.Boolean()
    minutes_approved_at = fields.AwareDateTime(allow_none=True)
    agenda = fields.List(fields.Nested(AgendaItemOut))
    feedback_sheets = fields.List(fields.Nested(FeedbackSummaryOut))


class AcknowledgementOut(OutputSchema):
    id = fields.UUID()
    meeting_id = fields.UUID()
    user_id = fields.UUID()
    wording_version = fields.Integer()
    wording = fields.String()
    acknowledged_at = fields.AwareDateTime()


class SuggestionOut(OutputSchema):
    case_id = fields.UUID()
    reference = fields.String()
    pseudonym = fields.String()
    state = fields.String()
    next_review_due = fields.Date(allow_none=True)
    reason = fields.String(metadata={"description": "new or review"})
    overdue = fields.Boolean()


class MinutesOut(OutputSchema):
    meeting_id = fields.UUID()
    state = fields.String()
    version = fields.Integer()
    text = fields.String(allow_none=True)
    drafted_by_user_id = fields.UUID(allow_none=True)
    approved_by_user_id = fields.UUID(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)


class FeedbackOut(OutputSchema):
    id = fields.UUID()
    meeting_id = fields.UUID()
    case_id = fields.UUID()
    pseudonym = fields.String()
    state = fields.String()
    version = fields.Integer()
    text = fields.String()
    notice = fields.String()
    drafted_by_user_id = fields.UUID()
    created_at = fields.AwareDateTime()
    issued_at = fields.AwareDateTime(allow_none=True)
    approved_user_ids = fields.List(fields.UUID())
    awaiting_user_ids = fields.List(fields.UUID())


class FeedbackListOut(OutputSchema):
    id = fields.UUID()
    meeting_id = fields.UUID()
    case_id = fields.UUID()
    state = fields.String()
    version = fields.Integer()
    issued_at = fields.AwareDateTime(allow_none=True)
