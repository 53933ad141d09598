"""Guards of the disengagement pathway (names and messages live in ``workflows``)."""

from __future__ import annotations

from sqlalchemy import exists, select

import workflows
from referral.cases.notes.models import Disclosure
from referral.cases.referrals.models import Referral
from referral.core import clock
from referral.meetings.models import AgendaItem, Meeting
from referral.pathways.engine import Firing, GuardFn


def _informing_recorded(f: Firing) -> bool:
    case = f.row
    return case.informing_status == "informed" or (
        case.informing_status == "not_informed" and bool(case.informing_ground))


def _minor_guardian(f: Firing) -> bool:
    return not f.row.is_minor or f.row.informed_party == "guardian" or (
        f.row.informing_status == "not_informed")


def _disclosed_to_livc(f: Firing) -> bool:
    return bool(f.session.scalar(select(exists().where(
        Disclosure.case_id == f.row.id, Disclosure.audience == "livc",
        Disclosure.revoked_at.is_(None)))))


def _no_open_referral(f: Firing) -> bool:
    return not f.session.scalar(select(exists().where(
        Referral.case_id == f.row.id, Referral._state.in_(workflows.OPEN_REFERRAL_STATES))))


def _decided_in_meeting(f: Firing) -> bool:
    """Fired by a decision of a meeting in session that has the case on its agenda."""
    meeting_id = (f.extra or {}).get("meeting_id")
    return meeting_id is not None and bool(f.session.scalar(select(exists().where(
        Meeting.id == meeting_id, Meeting._state == "in_session",
        AgendaItem.meeting_id == Meeting.id, AgendaItem.case_id == f.row.id))))


def _within_retention(f: Firing) -> bool:
    until = f.row.retention_until
    return f.row.purged_at is None and (until is None or clock.now().date() <= until)


CASE_GUARDS: dict[str, GuardFn] = {
    "informing_recorded": _informing_recorded,
    "minor_guardian_informed": _minor_guardian,
    "disclosed_to_livc": _disclosed_to_livc,
    "coordinator_appointed": lambda f: f.row.coordinator_organisation_id is not None,
    "no_open_referral": _no_open_referral,
    "outcome_given": lambda f: bool(f.outcome and f.outcome.strip()),
    "within_retention": _within_retention,
    "decided_in_meeting": _decided_in_meeting,
    "suspended_from_guidance": lambda f: f.row.suspended_from == "guidance",
    "suspended_from_aftercare": lambda f: f.row.suspended_from == "aftercare",
    "suspended_from_internal_follow_up": lambda f: f.row.suspended_from == "internal_follow_up",
}
