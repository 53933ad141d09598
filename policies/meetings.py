"""Who may do what with LIVC meetings, their material, feedback sheets and actions.

The relations that grant access to a meeting, and nothing else:

- **manager**: the LIVC's chair and coordinator (they plan the meeting, keep the
  agenda and the session, record decisions);
- **attendee**: a user invited to this meeting.

Whoever is neither does not learn that the meeting exists (404).  Being related
is not enough to see *material* (case headers, LIVC-disclosed notes, decisions,
minutes): that needs an attendee who acknowledged the secrecy duty for this very
meeting (art. 458ter §2 Sw.).  The feedback sheet is the LIVC's only output
towards the police: the police information officer reads it once every attendee
present approved it.

An action a decision gives to an organisation is that meeting's material: the owner
organisation, the LIVC's chair and coordinator, and the attendees who acknowledged
secrecy for the meeting that decided it or for a later one it was carried onto for
review see it; the owner organisation's case roles and the chair and coordinator update
its status.  Whoever is none of these does not learn that it exists (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from policies.actor import Actor, Decision
from policies.vocabulary import CASE_ROLES, LIVC_ROLES

MANAGER_ROLES = ("livc_chair", "livc_coordinator")


@dataclass(frozen=True)
class LivcFacts:
    """A LIVC as such (planning a meeting, suggesting an agenda)."""

    livc_id: uuid.UUID


@dataclass(frozen=True)
class MeetingFacts:
    id: uuid.UUID
    livc_id: uuid.UUID
    state: str
    attendee_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Attendees marked present (the consensus of a feedback sheet counts them only).
    present_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Attendees who acknowledged the secrecy duty for this meeting.
    acknowledged_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FeedbackFacts:
    meeting: MeetingFacts
    state: str  # draft | issued


@dataclass(frozen=True)
class ActionFacts:
    """A follow-up action the LIVC gave to one organisation."""

    organisation_id: uuid.UUID
    livc_id: uuid.UUID
    done: bool = False
    # Who acknowledged secrecy for the meeting that decided it, or for a meeting it was
    # carried onto for review: the action is that meeting's material.
    acknowledged_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


MEETING_FACT_TYPES = (LivcFacts, MeetingFacts, FeedbackFacts, ActionFacts)


def _d(allowed: bool, rule: str, reason: str) -> Decision:
    return Decision(allowed, rule, reason)


def _no_relation() -> Decision:
    return _d(False, "no_relation", "No relation to this meeting.")


def is_manager(actor: Actor, livc_id: uuid.UUID) -> bool:
    return any(actor.has_role(r, livc_id) for r in MANAGER_ROLES)


def is_attendee(actor: Actor, m: MeetingFacts) -> bool:
    return actor.user_id is not None and actor.user_id in m.attendee_user_ids


def has_acknowledged(actor: Actor, m: MeetingFacts) -> bool:
    return is_attendee(actor, m) and actor.user_id in m.acknowledged_user_ids


def decide_livc(actor: Actor, action: str, livc: LivcFacts) -> Decision:
    if action in {"meeting:create", "livc:agenda_suggestions"}:
        if is_manager(actor, livc.livc_id):
            return _d(True, "meeting_manager", "The LIVC's chair and coordinator plan meetings.")
        return _d(False, "meeting_manager", "Only the LIVC's chair and coordinator plan its "
                  "meetings and their agendas.")
    return _d(False, "no_rule", f"No rule grants {action}.")


def decide_meeting(actor: Actor, action: str, m: MeetingFacts) -> Decision:
    manager, attendee = is_manager(actor, m.livc_id), is_attendee(actor, m)
    if not (manager or attendee):
        return _no_relation()
    if action == "meeting:read":
        return _d(True, "meeting_manager" if manager else "meeting_attendee",
                  "Sees the meeting and its agenda (pseudonyms only).")
    if action in {"meeting:manage", "meeting:decide"}:
        if manager:
            return _d(True, "meeting_manager", "The chair and the coordinator run the meeting.")
        return _d(False, "meeting_manager", "Only the LIVC's chair and coordinator manage the "
                  "meeting and record its decisions.")
    if action == "meeting:acknowledge":
        if attendee:
            return _d(True, "meeting_attendee", "An attendee acknowledges the secrecy duty.")
        return _d(False, "meeting_attendee", "Only attendees of the meeting acknowledge its "
                  "secrecy duty.")
    if action == "meeting:material":
        if has_acknowledged(actor, m):
            return _d(True, "secrecy_acknowledged", "Acknowledged the secrecy duty.")
        return _d(False, "secrecy_acknowledged", "Meeting material is shown only to attendees "
                  "who acknowledged the secrecy duty for this meeting.")
    if action == "meeting:draft_minutes":
        if actor.has_role("livc_coordinator", m.livc_id):
            return _d(True, "minutes_coordinator", "The coordinator drafts the minutes.")
        return _d(False, "minutes_coordinator", "Only the LIVC coordinator drafts the minutes.")
    if action == "meeting:approve_minutes":
        if actor.has_role("livc_chair", m.livc_id):
            return _d(True, "minutes_chair", "The chair approves the minutes.")
        return _d(False, "minutes_chair", "Only the LIVC chair approves the minutes.")
    if action == "feedback:create":
        if actor.has_role("livc_chair", m.livc_id):
            return _d(True, "feedback_chair", "The chair drafts feedback sheets.")
        return _d(False, "feedback_chair", "Only the LIVC chair drafts a feedback sheet.")
    if action == "meeting:actions":
        if manager:
            return _d(True, "meeting_manager", "The chair and the coordinator track actions.")
        if has_acknowledged(actor, m):
            return _d(True, "secrecy_acknowledged", "Acknowledged the secrecy duty.")
        return _d(False, "secrecy_acknowledged", "The actions under review are meeting "
                  "material: shown only to attendees who acknowledged the secrecy duty.")
    if action == "meeting:read_withheld":
        if has_acknowledged(actor, m):
            return _d(True, "secrecy_acknowledged", "Acknowledged the secrecy duty.")
        return _d(False, "secrecy_acknowledged", "Meeting material is shown only to attendees "
                  "who acknowledged the secrecy duty for this meeting.")
    if action == "meeting:record_withheld":
        if has_acknowledged(actor, m):
            return _d(True, "withheld_notice", "An acknowledged attendee may say that their "
                      "organisation holds information it does not share.")
        return _d(False, "withheld_notice", "Only an attendee who acknowledged the secrecy "
                  "duty for this meeting records that their organisation holds information "
                  "it does not share.")
    return _d(False, "no_rule", f"No rule grants {action}.")


def decide_feedback(actor: Actor, action: str, f: FeedbackFacts) -> Decision:
    m = f.meeting
    chair = actor.has_role("livc_chair", m.livc_id)
    police = actor.has_role("police_information_officer", m.livc_id)
    if not (is_manager(actor, m.livc_id) or is_attendee(actor, m) or police):
        return _no_relation()
    if action == "feedback:read":
        # The police information officer reads a draft only attending: acknowledged *and*
        # present.  Invited but absent, the draft is no more theirs than the police's.
        police_absent = police and actor.user_id not in m.present_user_ids
        if chair or (has_acknowledged(actor, m) and not (police_absent and f.state != "issued")):
            return _d(True, "feedback_readers", "The chair and acknowledged attendees read it.")
        if police and f.state == "issued":
            return _d(True, "feedback_readers", "Issued: the police information officer "
                      "reads it.")
        if police:
            return _d(False, "feedback_issued_only", "A police information officer who does not "
                      "attend the meeting reads a feedback sheet only once every attendee "
                      "present approved it.")
        return _d(False, "feedback_readers", "A feedback sheet is read by the chair, by "
                  "attendees who acknowledged secrecy and, once issued, by the police "
                  "information officer.")
    if action == "feedback:update":
        if chair:
            return _d(True, "feedback_chair", "The chair redrafts the sheet.")
        return _d(False, "feedback_chair", "Only the LIVC chair drafts a feedback sheet.")
    if action == "feedback:approve":
        if has_acknowledged(actor, m) and actor.user_id in m.present_user_ids:
            return _d(True, "feedback_consensus", "An attendee present approves.")
        return _d(False, "feedback_consensus", "Only attendees present who acknowledged the "
                  "secrecy duty approve a feedback sheet.")
    return _d(False, "no_rule", f"No rule grants {action}.")


def _owner_organisation(actor: Actor, a: ActionFacts, roles: tuple[str, ...]) -> bool:
    return actor.organisation_id == a.organisation_id and any(actor.has_role(r) for r in roles)


def decide_action(actor: Actor, action: str, a: ActionFacts) -> Decision:
    own = _owner_organisation(actor, a, CASE_ROLES + LIVC_ROLES)
    manager = is_manager(actor, a.livc_id)
    acknowledged = actor.user_id is not None and actor.user_id in a.acknowledged_user_ids
    if not (own or manager or acknowledged):
        return _no_relation()
    if action == "action:read":
        if own:
            return _d(True, "action_owner_organisation", "The owner organisation follows up.")
        if manager:
            return _d(True, "meeting_manager", "The chair and the coordinator track actions.")
        return _d(True, "secrecy_acknowledged", "Meeting material of a meeting whose secrecy "
                  "duty this attendee acknowledged.")
    if action == "action:complete":
        if own:
            return _d(True, "action_owner_organisation", "The owner organisation follows up.")
        return _d(False, "action_owner_organisation", "Only the organisation the action was "
                  "given to marks it done.")
    if action == "action:update":
        if manager or _owner_organisation(actor, a, CASE_ROLES):
            return _d(True, "action_status", "The owner organisation's case roles and the "
                      "LIVC's chair and coordinator follow the action through.")
        return _d(False, "action_status", "Only the reference persons and case workers of "
                  "the organisation the action was given to, and the LIVC's chair and "
                  "coordinator, update an action's status.")
    return _d(False, "no_rule", f"No rule grants {action}.")


def decide_meeting_resource(actor: Actor, action: str, resource: object) -> Decision:
    """Dispatch for the meeting facts types (anonymous actors are refused before this)."""
    if isinstance(resource, LivcFacts):
        return decide_livc(actor, action, resource)
    if isinstance(resource, MeetingFacts):
        return decide_meeting(actor, action, resource)
    if isinstance(resource, FeedbackFacts):
        return decide_feedback(actor, action, resource)
    if isinstance(resource, ActionFacts):
        return decide_action(actor, action, resource)
    return _d(False, "no_relation", f"No rule grants {action}.")
