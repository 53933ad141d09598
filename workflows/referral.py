"""Hand-offs between organisations, and the meeting pathway.

Referral permissions: ``referral:decide`` (the recipient organisation's
reference persons: an organisation inbox), ``referral:withdraw`` (the sending
organisation), ``referral:progress`` (the recipient organisation's users).
"""

from __future__ import annotations

from workflows.model import Guard, Pathway, Transition

OPEN_REFERRAL_STATES = ("offered", "accepted", "active")

REFERRAL_V1 = Pathway(
    name="referral",
    version=1,
    title="Referral (hand-off)",
    initial="offered",
    states=("offered", "accepted", "declined", "withdrawn", "expired", "active", "completed",
            "ended"),
    final_states=("declined", "withdrawn", "expired", "completed", "ended"),
    # Consent (voluntary services) and a legal basis (judicial follow-up) are checked when
    # the referral is offered, so that no recipient sees a person who never agreed, and
    # again at accept (consent can be withdrawn in between).
    entry_guards=("consent_required", "legal_basis_required"),
    guards={
        g.name: g
        for g in (
            Guard("consent_required", "A voluntary service needs the person's consent recorded "
                  "on the case (consent: given)."),
            Guard("legal_basis_required", "A judicial follow-up needs a legal basis."),
            Guard("reason_given", "A reason is required."),
            Guard("outcome_given", "An outcome is required."),
        )
    },
    transitions=(
        Transition("accept", ("offered",), "accepted", "referral:decide",
                   guards=("consent_required", "legal_basis_required"),
                   effects=("notify_sender", "take_coordination"), label="Accept"),
        Transition("decline", ("offered",), "declined", "referral:decide",
                   guards=("reason_given",), requires_reason=True,
                   effects=("notify_sender",), label="Decline"),
        Transition("withdraw", ("offered",), "withdrawn", "referral:withdraw",
                   effects=("notify_recipient",), label="Withdraw"),
        Transition("expire", ("offered",), "expired", "referral:expire",
                   effects=("notify_sender",), label="Expire"),
        Transition("start", ("accepted",), "active", "referral:progress",
                   effects=("notify_sender", "open_partner_pathway"), label="Start"),
        Transition("complete", ("active",), "completed", "referral:progress",
                   guards=("outcome_given",), requires_outcome=True,
                   effects=("notify_sender",), label="Complete"),
        Transition("end", ("accepted", "active"), "ended", "referral:progress",
                   guards=("reason_given",), requires_reason=True,
                   effects=("notify_sender",), label="End"),
    ),
)

MEETING_V1 = Pathway(
    name="meeting",
    version=1,
    title="LIVC meeting",
    initial="planned",
    states=("planned", "in_session", "held", "minutes_approved", "cancelled"),
    final_states=("minutes_approved", "cancelled"),
    guards={
        g.name: g
        for g in (
            Guard("minutes_drafted", "Minutes must be drafted before they are approved."),
        )
    },
    transitions=(
        Transition("open", ("planned",), "in_session", "meeting:manage", label="Open session"),
        Transition("close", ("in_session",), "held", "meeting:manage", label="Close session"),
        Transition("approve_minutes", ("held",), "minutes_approved", "meeting:approve_minutes",
                   guards=("minutes_drafted",), label="Approve minutes"),
        Transition("cancel", ("planned",), "cancelled", "meeting:manage",
                   requires_reason=False, label="Cancel"),
    ),
)
