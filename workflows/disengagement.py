"""The person-centred disengagement pathway of a case (DESIGN.md §5).

Permissions (``policies`` decides who holds them):
- ``case:manage``  the owner organisation's reference persons and case workers,
                    and the case coordinator's organisation while it coordinates;
- ``case:propose`` the owner organisation's reference persons;
- ``case:livc_decide`` the case LIVC's chair and coordinator, only as the decision of a
                    meeting in session with the case on its agenda (guard
                    ``decided_in_meeting``).
"""

from __future__ import annotations

from workflows.model import Guard, Pathway, Transition

ACTIVE_STATES = ("guidance", "aftercare", "internal_follow_up")

GUARDS = {
    g.name: g
    for g in (
        Guard("informing_recorded", "The informing status must be recorded before proposing "
              "(informed, or not informed with its legal ground)."),
        Guard("minor_guardian_informed", "For a minor the guardian must be the informed party."),
        Guard("disclosed_to_livc", "At least one note must be disclosed to the LIVC before "
              "proposing the case."),
        Guard("coordinator_appointed", "A case coordinator must be appointed before guidance "
              "starts."),
        Guard("no_open_referral", "Referrals that are still offered, accepted or active must "
              "end first."),
        Guard("outcome_given", "Closing a case needs an outcome."),
        Guard("decided_in_meeting", "LIVC decisions are taken in a meeting: record it as a "
              "decision of a meeting in session with the case on its agenda (an urgent case "
              "gets an urgent meeting)."),
        Guard("within_retention", "A closed case can only be reopened within its retention "
              "period."),
        Guard("suspended_from_guidance", "The case was not suspended from guidance."),
        Guard("suspended_from_aftercare", "The case was not suspended from aftercare."),
        Guard("suspended_from_internal_follow_up",
              "The case was not suspended from internal follow-up."),
    )
}

DISENGAGEMENT_V1 = Pathway(
    name="disengagement",
    version=1,
    title="Disengagement pathway",
    initial="signalled",
    states=("signalled", "screening", "internal_follow_up", "proposed", "guidance",
            "aftercare", "suspended", "closed"),
    final_states=("closed",),
    guards=GUARDS,
    transitions=(
        Transition("start_screening", ("signalled",), "screening", "case:manage",
                   effects=("clear_screening_deadline",), label="Start screening"),
        Transition("close_no_concern", ("signalled", "screening"), "closed", "case:manage",
                   guards=("outcome_given", "no_open_referral"), requires_outcome=True,
                   effects=("set_retention",), label="Close: no concern"),
        Transition("follow_up_internally", ("screening",), "internal_follow_up", "case:manage",
                   label="Follow up within the organisation"),
        Transition("propose", ("screening", "internal_follow_up"), "proposed", "case:propose",
                   guards=("informing_recorded", "minor_guardian_informed",
                           "disclosed_to_livc"),
                   effects=("notify_livc",), label="Propose to the LIVC"),
        Transition("start_guidance", ("proposed",), "guidance", "case:livc_decide",
                   guards=("decided_in_meeting", "coordinator_appointed"),
                   effects=("schedule_review",),
                   label="Start guidance programme"),
        Transition("no_livc_case", ("proposed",), "internal_follow_up", "case:livc_decide",
                   guards=("decided_in_meeting",), effects=("clear_review",),
                   label="Not a LIVC case"),
        Transition("step_down", ("guidance",), "aftercare", "case:livc_decide",
                   guards=("decided_in_meeting", "no_open_referral"),
                   effects=("schedule_aftercare_reviews",),
                   label="Step down to aftercare"),
        Transition("resume_guidance", ("aftercare",), "guidance", "case:livc_decide",
                   guards=("decided_in_meeting", "coordinator_appointed"),
                   effects=("schedule_review",),
                   label="Back to guidance"),
        Transition("suspend", ACTIVE_STATES, "suspended", "case:manage",
                   requires_reason=True, effects=("remember_suspended_from",),
                   label="Suspend"),
        Transition("resume", ("suspended",), "guidance", "case:manage",
                   guards=("suspended_from_guidance",), label="Resume"),
        Transition("resume", ("suspended",), "aftercare", "case:manage",
                   guards=("suspended_from_aftercare",), label="Resume"),
        Transition("resume", ("suspended",), "internal_follow_up", "case:manage",
                   guards=("suspended_from_internal_follow_up",), label="Resume"),
        Transition("close", ("internal_follow_up", "suspended"), "closed", "case:manage",
                   guards=("outcome_given", "no_open_referral"), requires_outcome=True,
                   effects=("set_retention", "clear_review"), label="Close"),
        Transition("close", ("guidance", "aftercare", "proposed"), "closed",
                   "case:livc_decide",
                   guards=("decided_in_meeting", "outcome_given", "no_open_referral"),
                   requires_outcome=True, effects=("set_retention", "clear_review"),
                   label="Close"),
        Transition("reopen", ("closed",), "screening", "case:manage",
                   guards=("within_retention",), requires_reason=True,
                   effects=("clear_retention",), label="Reopen"),
    ),
)
