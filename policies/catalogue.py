"""The catalogue: every action (``resource:verb``) and every rule, with stable ids.

A DPO can read this file to know what the system lets anyone do.  A denial in
the API names one of these rule ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    text: str


_RULES = (
    Rule("authentication_required", "Anonymous users may do nothing but log in."),
    Rule("admin_only", "Only administrators manage organisations, LIVCs, users and roles."),
    Rule("authenticated_directory",
         "Any logged-in user may list organisations and LIVCs (names and kinds only), to "
         "address a referral or a meeting."),
    Rule("self_service", "Every user may read their own profile and manage their own sessions "
         "and API tokens."),
    Rule("oversight_no_content",
         "Administrators, auditors and DPOs never read case content (separation of duties)."),
    Rule("auditor_only", "Only auditors search and verify the audit trail."),
    Rule("no_relation", "Without a relation to the case it does not exist for you (404)."),
    Rule("case_role_required", "Only reference persons and case workers register cases."),
    Rule("owner_organisation", "Users with a case role in the owner organisation read the case "
         "header."),
    Rule("case_coordinator", "Users with a case role in the coordinating organisation read the "
         "case header."),
    Rule("accepted_partner", "Organisations with an accepted or active referral read the case "
         "header (and re-identify: they meet the person)."),
    Rule("livc_preparation", "The LIVC's chair and coordinator see what preparing agendas "
         "needs (pseudonym, reference, state, age band, dates) of the cases in the LIVC "
         "states; never reasons, notes or history."),
    Rule("livc_consultation", "The case LIVC's chair, coordinator, members and police "
         "information officer who acknowledged secrecy for a meeting with the case on its "
         "agenda read the case as meeting material while it is proposed, in guidance or in "
         "aftercare."),
    Rule("offered_referral_reduced", "Recipients of an offered referral see a reduced header "
         "(pseudonym, age band, municipality, purpose) and no notes."),
    Rule("break_glass", "A reference person without a relation may read the header for 24 h "
         "after a reasoned break-glass; never a secrecy compartment."),
    Rule("owner_or_coordinator", "The owner organisation and the case coordinator manage, "
         "update and refer the case."),
    Rule("owner_reference_person", "The owner organisation's reference persons propose the "
         "case, re-identify and read its access log."),
    Rule("livc_chair_or_coordinator", "LIVC decisions are recorded by the LIVC's chair or "
         "coordinator."),
    Rule("livc_chair_on_agenda", "The LIVC chair re-identifies a case on one of their "
         "meeting agendas."),
    Rule("reidentify_care_relation", "Re-identification needs a care relation."),
    Rule("case_team_only", "Only the case team writes internal notes; only the police "
         "information officer writes police notes."),
    Rule("author_organisation", "An internal note is read by its author organisation's users "
         "on the case."),
    Rule("police_compartment", "A police note is read by police information officers and the "
         "LIVC chair."),
    Rule("disclosed_case_team", "A note disclosed to the case team is read by the case team "
         "while the disclosure stands."),
    Rule("disclosed_livc", "A note disclosed to the LIVC is read by the chair and by attendees "
         "who acknowledged secrecy for a meeting with the case on the agenda."),
    Rule("secrecy_compartment", "Another organisation's secret, not disclosed to you."),
    Rule("author_organisation_only", "Only the author organisation discloses a note or revokes "
         "a disclosure."),
    Rule("referral_party", "Sender, recipient and case owner see a referral."),
    Rule("recipient_reference_person", "The recipient organisation's reference persons accept "
         "or decline (an organisation inbox)."),
    Rule("sender_organisation", "The sending organisation withdraws an offer."),
    Rule("recipient_organisation", "The recipient organisation works an accepted referral."),
    Rule("system_only", "Only the scheduled job expires referrals."),
    Rule("no_rule", "No rule grants this action: denied by default."),
    Rule("dpo_only", "Only the data protection officer places legal holds and produces "
         "data-subject access reports (never case content)."),
    Rule("break_glass_reference_persons_only", "Only reference persons may break the glass."),
    Rule("user_administration", "Administrators and access managers manage user accounts; "
         "an access manager only those of its own organisation."),
    Rule("case_roles_by_access_manager", "Case roles (reference person, case worker) are "
         "granted and removed only by the organisation's own access manager."),
    Rule("first_access_manager", "The platform administrator appoints an organisation's "
         "first access manager only; further ones are appointed by the organisation's own."),
    Rule("platform_roles_by_admin", "LIVC roles and oversight roles are granted by the "
         "platform administrator."),
    Rule("own_organisation_only", "An access manager manages the users of its own "
         "organisation only."),
    Rule("no_referral_to_police", "Police organisations never receive a referral: the "
         "feedback sheet is the only output towards the police."),
    Rule("no_referral_to_operator", "The platform operator's organisation (whose users hold "
         "oversight roles) never receives a referral."),
    Rule("livc_members_only", "A referral sent by a LIVC decision goes only to a member "
         "organisation of that LIVC."),
    Rule("coordinating_kind", "A coordination referral goes only to a kind of organisation "
         "that coordinates guidance."),
    Rule("sphere_for_kind", "A service referral goes only to a kind of organisation that "
         "offers care in its sphere of life."),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}

# Actions decided from the actor alone (no resource): routes check them up front.
# action: (roles of which any one suffices -- () means any authenticated user, rule id)
ACTOR_LEVEL: dict[str, tuple[tuple[str, ...], str]] = {
    "organisation:create": (("admin",), "admin_only"),
    "organisation:update": (("admin",), "admin_only"),
    "organisation:list": ((), "authenticated_directory"),
    "organisation:read": ((), "authenticated_directory"),
    "livc:create": (("admin",), "admin_only"),
    "livc:update": (("admin",), "admin_only"),
    "livc:list": ((), "authenticated_directory"),
    "livc:read": ((), "authenticated_directory"),
    # Which user, and which role, is decided per grant: policies/grants.py.
    "user:create": (("admin", "access_manager"), "user_administration"),
    "user:update": (("admin", "access_manager"), "user_administration"),
    "user:list": (("admin", "access_manager"), "user_administration"),
    "user:read": (("admin", "access_manager"), "user_administration"),
    "user:end_sessions": (("admin",), "admin_only"),
    "self:read": ((), "self_service"),
    "session:manage": ((), "self_service"),
    "token:manage": ((), "self_service"),
    "auth:logout": ((), "self_service"),
    "case:create": (("reference_person", "case_worker"), "case_role_required"),
    "case:list": ((), "self_service"),
    "referral:list": ((), "self_service"),
    "case:legal_hold": (("dpo",), "dpo_only"),
    "dsar:generate": (("dpo",), "dpo_only"),
    "privacy:overview": (("dpo",), "dpo_only"),
    "match:list": (("reference_person", "case_worker"), "case_role_required"),
    "audit:search": (("auditor",), "auditor_only"),
    "audit:verify": (("auditor",), "auditor_only"),
    "audit:checkpoint": (("auditor", "admin"), "auditor_only"),
}

# Actions decided per object (case, note, referral, ...): see policies.cases.
RESOURCE_ACTIONS: dict[str, str] = {
    "case:read": "read a case header (reduced for offered referrals)",
    "case:update": "change a case's informing status, consent, phase, coordinator",
    "case:history": "read the pathway history",
    "case:transitions": "list available transitions",
    "case:diagram": "see the pathway diagram",
    "case:transition": "fire a pathway transition (its permission decides who)",
    "case:manage": "permission: owner/coordinator transitions",
    "case:propose": "permission: propose to the LIVC",
    "case:livc_decide": "permission: LIVC decisions",
    "case:refer": "hand the case or a part of it to another organisation",
    "case:reidentify": "reveal the identity, with a reason",
    "case:access_log": "see who accessed the case",
    "case:break_glass": "emergency header access without a relation",
    "note:create": "write a note in one's own compartment",
    "note:list": "list readable notes of a case",
    "note:read": "read one note",
    "note:disclose": "disclose a note to an audience",
    "disclosure:revoke": "revoke a disclosure",
    "referral:read": "read a referral",
    "referral:transition": "accept, decline, withdraw, start, complete or end a referral",
    "referral:decide": "permission: accept or decline",
    "referral:withdraw": "permission: withdraw",
    "referral:progress": "permission: start, complete, end",
    "referral:expire": "permission: expiry (system)",
    "partner_pathway:progress": "permission: move a partner pathway",
}

# Routes open to anonymous users: the explicit public allow-list.
PUBLIC_ACTIONS = ("auth:login", "auth:csrf", "public:health", "public:openapi", "public:static",
                  "public:login_page", "public:language",
                  # /metrics: no user; the scraper's token or network decides (ops.metrics)
                  "public:metrics")


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


# Meetings (policies/meetings.py).  Kept in one appended block so that the
# meeting feature's rules and actions read together.
_MEETING_RULES = (
    Rule("meeting_manager", "The LIVC's chair and coordinator plan its meetings, keep the "
         "agenda, attendees and session, and record decisions."),
    Rule("meeting_attendee", "Attendees see their meeting's agenda with pseudonyms only, and "
         "acknowledge its secrecy duty."),
    Rule("secrecy_acknowledged", "Meeting material is shown only to attendees who acknowledged "
         "the secrecy duty for that meeting (art. 458ter §2 Sw.)."),
    Rule("minutes_coordinator", "The LIVC coordinator drafts the minutes (encrypted)."),
    Rule("minutes_chair", "The LIVC chair approves the minutes; afterwards they are immutable."),
    Rule("feedback_chair", "The LIVC chair drafts a feedback sheet for a case on the agenda."),
    Rule("feedback_no_secret", "A feedback sheet never reproduces the text of a note "
         "(Constitutional Court 52/2021)."),
    Rule("feedback_consensus", "Every attendee present who acknowledged secrecy approves a "
         "feedback sheet; it is issued when all have."),
    Rule("feedback_readers", "A feedback sheet is read by the chair, by attendees who "
         "acknowledged secrecy and, once issued, by the police information officer."),
    Rule("feedback_issued_only", "A police information officer who does not attend the "
         "meeting reads a feedback sheet only once it is issued; attending and acknowledged, "
         "they read and approve the draft like every attendee present."),
    Rule("action_owner_organisation", "The organisation an action was given to sees it and "
         "marks it done; the LIVC's chair and coordinator track it."),
)
RULES.update({r.id: r for r in _MEETING_RULES})

ACTOR_LEVEL.update({
    "action:list": (("reference_person", "case_worker", "livc_chair", "livc_coordinator",
                     "livc_member", "police_information_officer"), "action_owner_organisation"),
    "feedback:list": (("livc_chair", "police_information_officer"), "feedback_readers"),
})

RESOURCE_ACTIONS.update({
    "meeting:create": "plan a meeting of a LIVC (its three fixed members registered)",
    "livc:agenda_suggestions": "propose cases for a meeting's agenda",
    "meeting:read": "see a meeting and its agenda (pseudonyms only)",
    "meeting:manage": "keep the agenda and attendees; permission: open, close, cancel",
    "meeting:transition": "fire a meeting transition (its permission decides who)",
    "meeting:acknowledge": "acknowledge the secrecy duty for a meeting",
    "meeting:material": "see a meeting's shared material (after acknowledging secrecy)",
    "meeting:decide": "record a LIVC decision (fires the case transition it implies)",
    "meeting:draft_minutes": "draft the minutes",
    "meeting:approve_minutes": "permission: approve the minutes",
    "feedback:create": "draft a feedback sheet for the police",
    "feedback:update": "redraft a feedback sheet that is not issued",
    "feedback:read": "read a feedback sheet",
    "feedback:approve": "approve a feedback sheet (consensus of the attendees present)",
    "action:read": "see a follow-up action",
    "action:complete": "mark a follow-up action done",
})

# The auditor's workspace (referral/audit/review.py, anomalies.py, web.py).  Appended as
# one block; the searches, verification and checkpoints are listed above.
ACTOR_LEVEL.update({
    "audit:break_glass_list": (("auditor",), "auditor_only"),
    "audit:break_glass_review": (("auditor",), "auditor_only"),
    "audit:anomalies": (("auditor",), "auditor_only"),
})

# Deadlines and response times (policies/organisations.py), the working-day calendar and
# the pathway definitions.  Appended as one block.
_RESPONSE_TIME_RULES = (
    Rule("response_times_own_organisation", "An organisation's users read its response "
         "times (referrals answered in time, the oldest unanswered, overdue screenings and "
         "reviews)."),
    Rule("response_times_livc", "The chair and coordinator of a LIVC read a member "
         "organisation's response times over that LIVC's cases, as counts only."),
    Rule("response_times_readers", "An organisation's response times are read by its own "
         "users and by the chair and coordinator of a LIVC it is a member of; not by the "
         "platform's administrators, auditors, DPOs or analysts."),
    Rule("authenticated_reference", "Any logged-in user may read the working-day calendar "
         "and the pathway definitions and diagrams (no case data)."),
)
RULES.update({r.id: r for r in _RESPONSE_TIME_RULES})

ACTOR_LEVEL.update({
    "calendar:read": ((), "authenticated_reference"),
    "pathway:list": ((), "authenticated_reference"),
    "pathway:diagram": ((), "authenticated_reference"),
})

RESOURCE_ACTIONS.update({
    "organisation:response_times": "read an organisation's response times (red/amber/green)",
})

# Actions that follow through and "holds information, not shared" (policies/meetings.py,
# referral/meetings/actions.py and withheld.py).  Appended as one block.
RULES.update({r.id: r for r in (
    Rule("action_status", "The reference persons and case workers of the organisation an "
         "action was given to, and the LIVC's chair and coordinator, update its status: "
         "done, not possible or not done (these two with the reason why), or open again."),
    Rule("withheld_notice", "An attendee who acknowledged the secrecy duty may record that "
         "their organisation holds relevant information on a case on the agenda that it does "
         "not share, with a reason category and never content; the other acknowledged "
         "attendees see only that it does. Never required."),
)})

RESOURCE_ACTIONS.update({
    "action:update": "change a follow-up action's status (with a reason when it did not "
                     "happen)",
    "meeting:actions": "see the actions a meeting decided and those carried onto it for "
                       "review",
    "meeting:record_withheld": "record that one's organisation holds information it does "
                               "not share",
    "meeting:read_withheld": "see which organisations hold information they did not share",
})

# Aggregated statistics (policies/statistics.py, referral/dashboards/).  Appended as one
# block: counts only, small counts suppressed, never a case.
RULES.update({r.id: r for r in (
    Rule("statistics_readers", "Aggregated statistics (counts, small counts suppressed, "
         "never a case) are read by the LIVC chair and coordinator and by the regional "
         "analyst."),
    Rule("statistics_own_livc", "A LIVC's statistics are read by its own chair and "
         "coordinator."),
    Rule("statistics_regional", "The regional analyst reads the statistics of every LIVC, "
         "aggregated; never case content."),
)})

ACTOR_LEVEL.update({
    "statistics:read": (("livc_chair", "livc_coordinator", "regional_analyst"),
                        "statistics_readers"),
    "statistics:regional": (("regional_analyst",), "statistics_regional"),
})

RESOURCE_ACTIONS.update({
    "statistics:livc": "read the aggregated statistics of one LIVC",
})

# The annual assurance report (policies/reports.py, referral/privacy/assurance.py).
RULES.update({r.id: r for r in (
    Rule("assurance_readers", "The assurance report is read by the data protection officer "
         "and by the LIVC's own chair."),
    Rule("assurance_dpo", "The data protection officer reads the assurance report of every "
         "LIVC."),
    Rule("assurance_livc_chair", "A LIVC's chair reads its assurance report."),
)})

RESOURCE_ACTIONS.update({
    "assurance:read": "read the annual assurance report of one LIVC (counts only)",
})
