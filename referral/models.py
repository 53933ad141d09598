"""Import every feature's models so that ``Base.metadata`` knows the whole schema."""

from referral.accounts.models import (
    ApiToken,
    LoginThrottle,
    RecoveryCode,
    RoleAssignment,
    User,
    UserSession,
)
from referral.audit.models import AuditCheckpoint, BreakGlassReview
from referral.cases.models import BreakGlass, Case, CaseMatch, ReferenceCounter, Subject
from referral.cases.notes.models import Disclosure, Note
from referral.cases.referrals.models import PartnerPathway, Referral
from referral.core.columns import Base
from referral.core.ledger.models import AuditEvent, AuditHead
from referral.identity.models import DataKey
from referral.meetings.models import (
    Action,
    AgendaItem,
    Decision,
    FeedbackApproval,
    FeedbackSheet,
    Meeting,
    MeetingAttendee,
    SecrecyAcknowledgement,
)
from referral.notifications.models import JobLock, Notification, OutboxMessage
from referral.organisations.models import Livc, LivcMember, LivcMunicipality, Organisation
from referral.pathways.models import TransitionRecord

__all__ = [
    "Action",
    "AgendaItem",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Base",
    "BreakGlass",
    "BreakGlassReview",
    "Case",
    "CaseMatch",
    "DataKey",
    "Decision",
    "Disclosure",
    "FeedbackApproval",
    "FeedbackSheet",
    "JobLock",
    "Livc",
    "LivcMember",
    "LivcMunicipality",
    "LoginThrottle",
    "Meeting",
    "MeetingAttendee",
    "Note",
    "Notification",
    "Organisation",
    "OutboxMessage",
    "PartnerPathway",
    "RecoveryCode",
    "ReferenceCounter",
    "Referral",
    "RoleAssignment",
    "SecrecyAcknowledgement",
    "Subject",
    "TransitionRecord",
    "User",
    "UserSession",
]
