"""The meeting rules on plain facts (no Flask, no database)."""

from __future__ import annotations

import uuid

import pytest

import policies
from policies.actor import Actor
from policies.meetings import ActionFacts, FeedbackFacts, LivcFacts, MeetingFacts

LIVC, OTHER = uuid.uuid4(), uuid.uuid4()
ORG = uuid.uuid4()


def actor(*roles: str, livc: uuid.UUID = LIVC, org: uuid.UUID | None = None) -> Actor:
    livc_roles = {"livc_chair", "livc_coordinator", "livc_member", "police_information_officer"}
    return Actor(user_id=uuid.uuid4(), organisation_id=org or uuid.uuid4(),
                 roles=frozenset((r, livc if r in livc_roles else None) for r in roles))


CHAIR, COORDINATOR = actor("livc_chair"), actor("livc_coordinator")
MEMBER, POLICE = actor("livc_member"), actor("police_information_officer")
LATE, ELSEWHERE = actor("livc_member"), actor("livc_chair", livc=OTHER)
MEETING = MeetingFacts(
    id=uuid.uuid4(), livc_id=LIVC, state="in_session",
    attendee_user_ids=frozenset(a.user_id for a in (COORDINATOR, MEMBER, LATE)),  # type: ignore[misc]
    present_user_ids=frozenset(a.user_id for a in (COORDINATOR, MEMBER, LATE)),  # type: ignore[misc]
    acknowledged_user_ids=frozenset(a.user_id for a in (COORDINATOR, MEMBER)),  # type: ignore[misc]
)


def rule(who: Actor, action: str, resource: object) -> tuple[bool, str]:
    d = policies.decide(who, action, resource)
    return d.allowed, d.rule


@pytest.mark.parametrize(("who", "action", "expected"), [
    (CHAIR, "meeting:read", (True, "meeting_manager")),
    (MEMBER, "meeting:read", (True, "meeting_attendee")),
    (POLICE, "meeting:read", (False, "no_relation")),      # not invited: 404
    (ELSEWHERE, "meeting:read", (False, "no_relation")),   # chair of another LIVC
    (MEMBER, "meeting:manage", (False, "meeting_manager")),
    (COORDINATOR, "meeting:decide", (True, "meeting_manager")),
    (CHAIR, "meeting:acknowledge", (False, "meeting_attendee")),
    (MEMBER, "meeting:material", (True, "secrecy_acknowledged")),
    (LATE, "meeting:material", (False, "secrecy_acknowledged")),
    (CHAIR, "meeting:material", (False, "secrecy_acknowledged")),
    (COORDINATOR, "meeting:draft_minutes", (True, "minutes_coordinator")),
    (CHAIR, "meeting:draft_minutes", (False, "minutes_coordinator")),
    (CHAIR, "meeting:approve_minutes", (True, "minutes_chair")),
    (COORDINATOR, "meeting:approve_minutes", (False, "minutes_chair")),
    (CHAIR, "feedback:create", (True, "feedback_chair")),
    (MEMBER, "feedback:create", (False, "feedback_chair")),
])
def test_meeting_rules(who, action, expected):
    assert rule(who, action, MEETING) == expected


def test_planning_is_for_the_chair_and_coordinator_of_that_livc():
    assert rule(CHAIR, "meeting:create", LivcFacts(LIVC)) == (True, "meeting_manager")
    assert rule(ELSEWHERE, "meeting:create", LivcFacts(LIVC)) == (False, "meeting_manager")
    assert rule(MEMBER, "livc:agenda_suggestions", LivcFacts(LIVC))[0] is False
    assert rule(Actor.anonymous(), "meeting:read", MEETING) == (False,
                                                               "authentication_required")


def test_feedback_sheet_rules():
    draft, issued = FeedbackFacts(MEETING, "draft"), FeedbackFacts(MEETING, "issued")
    assert rule(POLICE, "feedback:read", draft) == (False, "feedback_issued_only")
    assert rule(POLICE, "feedback:read", issued) == (True, "feedback_readers")
    assert rule(CHAIR, "feedback:read", draft) == (True, "feedback_readers")
    assert rule(MEMBER, "feedback:read", draft) == (True, "feedback_readers")
    assert rule(LATE, "feedback:read", draft) == (False, "feedback_readers")
    assert rule(ELSEWHERE, "feedback:read", issued) == (False, "no_relation")
    assert rule(MEMBER, "feedback:approve", draft) == (True, "feedback_consensus")
    assert rule(LATE, "feedback:approve", draft) == (False, "feedback_consensus")
    assert rule(POLICE, "feedback:approve", draft) == (False, "feedback_consensus")


def test_action_rules():
    own = actor("case_worker", org=ORG)
    facts = ActionFacts(organisation_id=ORG, livc_id=LIVC)
    assert rule(own, "action:complete", facts) == (True, "action_owner_organisation")
    assert rule(CHAIR, "action:complete", facts) == (False, "action_owner_organisation")
    assert rule(CHAIR, "action:read", facts) == (True, "meeting_manager")
    assert rule(actor("auditor", org=ORG), "action:complete", facts) == (False, "no_relation")


def test_every_meeting_rule_is_in_the_catalogue():
    used = {"meeting_manager", "meeting_attendee", "secrecy_acknowledged", "minutes_coordinator",
            "minutes_chair", "feedback_chair", "feedback_no_secret", "feedback_consensus",
            "feedback_readers", "feedback_issued_only", "action_owner_organisation"}
    assert used <= set(policies.RULES)
