"""Plain words for the internal ids the pages would otherwise show.

A page never prints ``livc_chair``, ``internal_follow_up`` or a rule id on its own: it
prints ``{{ value|label("role") }}``, the translated label below, and where a support call
needs the id, ``{{ value|label_id("rule") }}`` adds it as small secondary text.  The
vocabularies are read from ``policies`` and ``workflows`` (the source of every id), and a
test checks that each id has a label here and each label a Dutch translation.
"""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

import policies
import workflows
from policies import vocabulary as v

# kind -> id -> label.  Ids missing here fall back to a humanised id (and fail the test).
# Guards and rules read as the end of a sentence ("Not possible yet: <guard>.").
LABELS: dict[str, dict[str, LazyString]] = {
    "role": {
        "reference_person": _l("Reference person"),
        "case_worker": _l("Case worker"),
        "livc_chair": _l("LIVC chair"),
        "livc_coordinator": _l("LIVC coordinator"),
        "livc_member": _l("LIVC member"),
        "police_information_officer": _l("Police information officer"),
        "auditor": _l("Auditor"),
        "dpo": _l("Data protection officer"),
        "admin": _l("Platform administrator"),
        "regional_analyst": _l("Regional analyst"),
        "access_manager": _l("Access manager"),
    },
    "state": {
        "accepted": _l("Accepted"),
        "active": _l("Active"),
        "aftercare": _l("Aftercare"),
        "cancelled": _l("Cancelled"),
        "closed": _l("Closed"),
        "closure": _l("Closing"),
        "competences": _l("Building competences"),
        "completed": _l("Completed"),
        "conditions_registered": _l("Conditions registered"),
        "declined": _l("Declined"),
        "dropped_out": _l("Dropped out"),
        "ended": _l("Ended"),
        "expired": _l("Expired"),
        "finished": _l("Finished"),
        "follow_up": _l("Follow-up"),
        "guidance": _l("Guidance programme"),
        "held": _l("Held"),
        "in_detention": _l("In detention"),
        "in_progress": _l("In progress"),
        "in_session": _l("In session"),
        "intake": _l("Intake"),
        "internal_follow_up": _l("Follow-up within the organisation"),
        "job_search": _l("Job search"),
        "job_target": _l("Job target set"),
        "minutes_approved": _l("Minutes approved"),
        "offered": _l("Offered"),
        "placed": _l("Placed in work"),
        "plan": _l("Plan"),
        "planned": _l("Planned"),
        "proposed": _l("Proposed to the LIVC"),
        "release_preparation": _l("Preparing release"),
        "released": _l("Released"),
        "report_due": _l("Report due"),
        "screening": _l("Screening"),
        "signalled": _l("Signalled"),
        "started": _l("Started"),
        "supervision": _l("Supervision"),
        "suspended": _l("Suspended"),
        "violation_reported": _l("Violation reported"),
        "withdrawn": _l("Withdrawn"),
    },
    "trigger": {
        "create": _l("Registered"),
        "migrate": _l("Moved to a new version of the pathway"),
        "accept": _l("Accept"),
        "approve_minutes": _l("Approve the minutes"),
        "begin_work": _l("Begin work"),
        "build_competences": _l("Build competences"),
        "cancel": _l("Cancel"),
        "close": _l("Close"),
        "close_no_concern": _l("Close: no concern"),
        "complete": _l("Complete"),
        "decline": _l("Decline"),
        "drop_out": _l("Dropped out"),
        "end": _l("End"),
        "expire": _l("Expire"),
        "finish": _l("Finish"),
        "follow_up": _l("Follow up"),
        "follow_up_internally": _l("Follow up within the organisation"),
        "make_plan": _l("Make a plan"),
        "no_livc_case": _l("Not a LIVC case"),
        "open": _l("Open the session"),
        "place": _l("Place in work"),
        "prepare_release": _l("Prepare release"),
        "propose": _l("Propose to the LIVC"),
        "release": _l("Release"),
        "reopen": _l("Reopen"),
        "report_due": _l("Report due"),
        "report_sent": _l("Report sent"),
        "report_violation": _l("Report a violation"),
        "resume": _l("Resume"),
        "resume_guidance": _l("Back to guidance"),
        "set_job_target": _l("Set a job target"),
        "start": _l("Start"),
        "start_guidance": _l("Start the guidance programme"),
        "start_job_search": _l("Start the job search"),
        "start_screening": _l("Start screening"),
        "start_supervision": _l("Start supervision"),
        "step_down": _l("Step down to aftercare"),
        "suspend": _l("Suspend"),
        "withdraw": _l("Withdraw"),
    },
    "guard": {
        "consent_required": _l("the person's consent must be recorded first"),
        "coordinator_appointed": _l("a case coordinator must be appointed first"),
        "decided_in_meeting": _l("this is decided in a LIVC meeting, with the case on the agenda"),
        "disclosed_to_livc": _l("at least one note must be disclosed to the LIVC first"),
        "informing_recorded": _l("record first whether the person was informed (and on what ground if not)"),
        "legal_basis_required": _l("a judicial follow-up needs a legal basis"),
        "minor_guardian_informed": _l("for a minor, the guardian must be the one informed"),
        "minutes_drafted": _l("the minutes must be drafted first"),
        "no_open_referral": _l("referrals still offered, accepted or active must be ended first"),
        "outcome_given": _l("an outcome is required"),
        "reason_given": _l("a reason is required"),
        "suspended_from_aftercare": _l("the case was not suspended from aftercare"),
        "suspended_from_guidance": _l("the case was not suspended from guidance"),
        "suspended_from_internal_follow_up": _l("the case was not suspended from internal follow-up"),
        "within_retention": _l("a closed case can only be reopened within its retention period"),
    },
    "rule": {
        "action_status": _l("the owner organisation's case roles and the LIVC chair and coordinator update an action's status"),
        "withheld_notice": _l("an attendee who acknowledged secrecy may say that their organisation holds information it does not share"),
        "assurance_dpo": _l("the data protection officer reads every LIVC's assurance report"),
        "assurance_livc_chair": _l("a LIVC's chair reads its assurance report"),
        "assurance_readers": _l("the assurance report is read by the data protection officer and the LIVC's own chair"),
        "authenticated_reference": _l("every logged-in user reads the working-day calendar and the pathways"),
        "response_times_livc": _l("a LIVC's chair and coordinator read a member organisation's response times, as counts"),
        "response_times_own_organisation": _l("an organisation's users read its own response times"),
        "response_times_readers": _l("response times are read by the organisation itself and by the chair and coordinator of its LIVC"),
        "statistics_own_livc": _l("a LIVC's statistics are read by its own chair and coordinator"),
        "statistics_readers": _l("statistics are read by LIVC chairs and coordinators and by the regional analyst"),
        "statistics_regional": _l("the regional analyst reads the statistics of every LIVC, never a case"),
        "accepted_partner": _l("partners with an accepted referral read the case header"),
        "action_owner_organisation": _l("the organisation an action was given to follows it up"),
        "admin_only": _l("only administrators manage organisations, LIVCs, users and roles"),
        "auditor_only": _l("only auditors search and verify the audit trail"),
        "authenticated_directory": _l("every logged-in user sees the names of organisations and LIVCs"),
        "authentication_required": _l("log in first"),
        "author_organisation": _l("an internal note is read only by its author organisation"),
        "author_organisation_only": _l("only the organisation that wrote a note shares it or withdraws the sharing"),
        "break_glass": _l("emergency access to the header only, for 24 hours, with a reason"),
        "break_glass_reference_persons_only": _l("only reference persons may use emergency access"),
        "case_coordinator": _l("the coordinating organisation reads the case header"),
        "case_role_required": _l("only reference persons and case workers register cases"),
        "case_roles_by_access_manager": _l("case roles are granted by the organisation's own access manager"),
        "case_team_only": _l("only the case team writes internal notes; only the police information officer writes police notes"),
        "coordinating_kind": _l("a coordination referral goes only to an organisation that coordinates guidance"),
        "disclosed_case_team": _l("a note shared with the case team is read by the case team while the sharing stands"),
        "disclosed_livc": _l("a note shared with the LIVC is read by the chair and by attendees who accepted the secrecy duty"),
        "dpo_only": _l("only the data protection officer places legal holds and produces access reports"),
        "feedback_chair": _l("the LIVC chair drafts the feedback sheet"),
        "feedback_consensus": _l("every attendee present approves the feedback sheet before it is issued"),
        "feedback_issued_only": _l("the police information officer reads a feedback sheet once it is issued"),
        "feedback_no_secret": _l("a feedback sheet never repeats the text of a note"),
        "feedback_readers": _l("the feedback sheet is read by the chair and the attendees who accepted the secrecy duty"),
        "first_access_manager": _l("the administrator appoints only an organisation's first access manager"),
        "livc_chair_on_agenda": _l("the LIVC chair re-identifies a case on one of their agendas"),
        "livc_chair_or_coordinator": _l("LIVC decisions are recorded by the chair or the coordinator"),
        "livc_consultation": _l("the LIVC reads the case as meeting material, after accepting the secrecy duty"),
        "livc_members_only": _l("a LIVC referral goes only to a member organisation of that LIVC"),
        "livc_preparation": _l("the chair and coordinator see only what preparing the agenda needs"),
        "meeting_attendee": _l("attendees see their meeting's agenda, with pseudonyms only"),
        "meeting_manager": _l("the LIVC chair and coordinator plan meetings and record decisions"),
        "minutes_chair": _l("the LIVC chair approves the minutes"),
        "minutes_coordinator": _l("the LIVC coordinator drafts the minutes"),
        "no_referral_to_operator": _l("the platform operator never receives a referral"),
        "no_referral_to_police": _l("the police never receive a referral; the feedback sheet is their only output"),
        "no_relation": _l("you have no relation to this case"),
        "no_rule": _l("no rule allows this"),
        "offered_referral_reduced": _l("an offered referral shows only a reduced header"),
        "oversight_no_content": _l("administrators, auditors and DPOs never read case content"),
        "own_organisation_only": _l("an access manager manages only the users of its own organisation"),
        "owner_or_coordinator": _l("only the owner organisation and the case coordinator manage the case"),
        "owner_organisation": _l("the owner organisation reads the case header"),
        "owner_reference_person": _l("only the owner organisation's reference persons do this"),
        "platform_roles_by_admin": _l("LIVC and oversight roles are granted by the platform administrator"),
        "police_compartment": _l("a police note is read by police information officers and the LIVC chair"),
        "recipient_organisation": _l("the receiving organisation works the accepted referral"),
        "recipient_reference_person": _l("the receiving organisation's reference persons accept or decline"),
        "referral_party": _l("sender, recipient and case owner see a referral"),
        "reidentify_care_relation": _l("re-identification needs a care relation"),
        "secrecy_acknowledged": _l("meeting material only after accepting the secrecy duty for this meeting"),
        "secrecy_compartment": _l("another organisation's professional secret, not shared with you"),
        "self_service": _l("every user manages their own profile, sessions and tokens"),
        "sender_organisation": _l("only the sending organisation withdraws an offer"),
        "sphere_for_kind": _l("a service referral goes only to an organisation offering care in that sphere of life"),
        "system_only": _l("only the scheduled job lets referrals expire"),
        "user_administration": _l("administrators and access managers manage user accounts"),
    },
    "sphere": {
        "psycho_social": _l("Psycho-social support"),
        "training_employment": _l("Training and employment"),
        "mental_health_addiction": _l("Mental health and addiction"),
        "trauma": _l("Trauma"),
        "social_context": _l("Social context"),
        "alternative_discourse": _l("Alternative discourse"),
        "judicial_follow_up": _l("Judicial follow-up"),
    },
    "decision": {
        "start_programme": _l("Start a guidance programme"),
        "continue": _l("Continue"),
        "adjust": _l("Adjust the programme"),
        "refer": _l("Refer"),
        "step_down": _l("Step down to aftercare"),
        "close": _l("Close"),
        "no_livc_case": _l("Not a LIVC case"),
    },
    "organisation_kind": {
        "caw": _l("Welfare centre (CAW)"),
        "justice_centre": _l("Justice centre"),
        "vdab": _l("Employment service (VDAB)"),
        "youth_welfare": _l("Youth welfare"),
        "education": _l("Education"),
        "mental_health": _l("Mental health care"),
        "municipality": _l("Municipality"),
        "police": _l("Police"),
        "prison": _l("Prison"),
        "other": _l("Other"),
    },
    "context": {
        "community": _l("In the community"),
        "detention": _l("In detention"),
        "after_detention": _l("After detention"),
        "youth_facility": _l("In a youth facility"),
    },
    "phase": {
        "sensitivity": _l("Sensitivity"),
        "group_membership": _l("Group membership"),
        "action_preparation": _l("Preparing action"),
        "action": _l("Action"),
        "unknown": _l("Unknown"),
    },
    "informing_status": {
        "informed": _l("Informed"),
        "not_informed": _l("Not informed"),
    },
    "informed_party": {
        "subject": _l("The person"),
        "guardian": _l("Parent or guardian"),
    },
    "consent": {
        "given": _l("Given"),
        "refused": _l("Refused"),
        "unknown": _l("Not known"),
    },
    "compartment": {
        "internal": _l("Internal (own organisation)"),
        "police": _l("Police"),
    },
    "audience": {
        "case_team": _l("Case team"),
        "livc": _l("LIVC"),
    },
    "referral_kind": {
        "service": _l("Service"),
        "coordination": _l("Coordination"),
    },
    "agenda_reason": {
        "new": _l("New case"),
        "review": _l("Review"),
        "urgent": _l("Urgent"),
    },
    "feedback_state": {
        "draft": _l("Draft"),
        "issued": _l("Issued"),
    },
    "clearance": {
        "none": _l("None"),
        "confidential": _l("Confidential"),
        "secret": _l("Secret"),
        "top_secret": _l("Top secret"),
    },
    "action_status": {
        "open": _l("Open"),
        "done": _l("Done"),
        "not_possible": _l("Not possible"),
        "not_done": _l("Not done"),
    },
    "withheld_reason": {
        "professional_secrecy": _l("Professional secrecy"),
        "no_consent": _l("No consent"),
        "not_proportionate": _l("Not proportionate"),
        "other": _l("Other reason"),
    },
    "reidentify_reason": {
        "care_contact": _l("Care contact with the person"),
        "safety_risk": _l("A risk to someone's safety"),
        "legal_obligation": _l("A legal obligation"),
        "data_subject_request": _l("The person's own request"),
        "other": _l("Other reason"),
    },
    "outcome": {
        "allowed": _l("Allowed"),
        "denied": _l("Denied"),
    },
}


def vocabularies() -> dict[str, tuple[str, ...]]:
    """Every id a page may show, per kind: what :data:`LABELS` must cover."""
    states: set[str] = set()
    triggers: set[str] = set()
    guards: set[str] = set()
    # The engine's own steps besides each pathway's transitions: a row's first state, and a
    # move between versions (`workflows migrate`).
    triggers.update(("create", "migrate"))
    for pathway in workflows.ALL:
        states.update(pathway.states)
        for t in pathway.transitions:
            triggers.add(t.trigger)
            guards.update(t.guards)
    return {
        "role": v.CASE_ROLES + v.LIVC_ROLES + v.OVERSIGHT_ROLES + v.ACCESS_ROLES,
        "state": tuple(sorted(states)),
        "trigger": tuple(sorted(triggers)),
        "guard": tuple(sorted(guards)),
        "rule": tuple(sorted(policies.RULES)),
        "sphere": v.SPHERES_OF_LIFE,
        "decision": v.DECISIONS,
        "organisation_kind": v.ORGANISATION_KINDS,
        "context": v.CASE_CONTEXTS,
        "phase": v.RADICALISATION_PHASES,
        "informing_status": v.INFORMING_STATUSES,
        "informed_party": v.INFORMED_PARTIES,
        "consent": v.CONSENT_VALUES,
        "compartment": v.NOTE_COMPARTMENTS,
        "audience": v.DISCLOSURE_AUDIENCES,
        "referral_kind": v.REFERRAL_KINDS,
        "agenda_reason": v.AGENDA_REASONS,
        "feedback_state": v.FEEDBACK_STATES,
        "clearance": v.SECURITY_CLEARANCES,
        "outcome": ("allowed", "denied"),
        "reidentify_reason": v.REIDENTIFY_REASONS,
        "action_status": v.ACTION_STATUSES,
        "withheld_reason": v.WITHHELD_REASONS,
    }


def humanise(value: str) -> str:
    return value.replace("_", " ").replace(":", " ").strip().capitalize()


def label(value: Any, kind: str) -> str:
    """The translated plain-words label of ``value`` (an id of ``kind``)."""
    if value is None or value == "":
        return ""
    text = str(value)
    found = LABELS.get(kind, {}).get(text)
    return str(found) if found is not None else humanise(text)


def label_id(value: Any, kind: str) -> Markup:
    """The label with the id beside it as small secondary text (for support calls)."""
    if value is None or value == "":
        return Markup("")
    return Markup('{} <small class="id">{}</small>').format(
        label(value, kind), escape(str(value)))


def init_app(app: Any) -> None:
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["label_id"] = label_id


__all__ = ["LABELS", "_l", "init_app", "label", "label_id", "vocabularies"]
