"""Import every feature's models so that ``Base.metadata`` knows the whole schema."""

from referral.accounts.models import ApiToken, RecoveryCode, RoleAssignment, User, UserSession
from referral.audit.models import AuditCheckpoint, AuditEvent, AuditHead, BreakGlassReview
from referral.cases.models import (
    BreakGlass,
    Case,
    CaseMatch,
    DataKey,
    ReferenceCounter,
    Subject,
    TransitionRecord,
)
from referral.db import Base
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
from referral.notes.models import Disclosure, Note
from referral.notifications.models import JobLock, Notification, OutboxMessage
from referral.organisations.models import Livc, LivcMember, LivcMunicipality, Organisation
from referral.referrals.models import PartnerPathway, Referral

__all__ = [
    "Action", "AgendaItem", "ApiToken", "AuditCheckpoint", "AuditEvent", "AuditHead", "Base",
    "BreakGlass", "BreakGlassReview", "Case", "CaseMatch", "DataKey", "Decision", "Disclosure",
    "FeedbackApproval", "FeedbackSheet", "JobLock", "Livc", "LivcMember", "LivcMunicipality",
    "Meeting", "MeetingAttendee", "Note", "Notification", "Organisation", "OutboxMessage",
    "PartnerPathway", "RecoveryCode", "ReferenceCounter", "Referral", "RoleAssignment",
    "SecrecyAcknowledgement", "Subject", "TransitionRecord", "User", "UserSession",
]
