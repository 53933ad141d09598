"""Who may receive a referral, and for which sphere of life (DESIGN.md §6, issue 14).

A referral hands a person to another organisation's care.  What may receive one is decided
by the *kind* of the receiving organisation, never by who asks:

- **police organisations never receive a referral.**  The only thing that leaves the LIVC
  towards the police is the feedback sheet (Constitutional Court 52/2021);
- **the platform operator's own organisations never receive one**: an organisation whose
  users hold an oversight role (administrator, auditor, DPO) has no care task;
- a **service referral** names a sphere of life, and goes only to a kind of organisation
  that offers care in that sphere (:data:`SPHERES_BY_KIND`);
- a **coordination referral** (take over the coordination of the case) goes only to a kind
  of organisation that coordinates guidance (:data:`COORDINATING_KINDS`);
- a referral that a **LIVC decision** sends goes only to an organisation that is a member of
  that LIVC: the consultation's partnership is its boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.actor import Decision

SPHERES_BY_KIND: dict[str, tuple[str, ...]] = {
    "caw": ("psycho_social", "social_context", "trauma", "alternative_discourse"),
    "justice_centre": ("judicial_follow_up", "social_context", "psycho_social"),
    "vdab": ("training_employment", "social_context"),
    "youth_welfare": ("psycho_social", "social_context", "trauma", "training_employment"),
    "education": ("training_employment", "social_context", "psycho_social"),
    "mental_health": ("mental_health_addiction", "trauma", "psycho_social"),
    "municipality": ("social_context", "alternative_discourse", "training_employment"),
    "prison": ("judicial_follow_up", "training_employment", "psycho_social"),
    "other": ("alternative_discourse", "social_context"),
    "police": (),
}
COORDINATING_KINDS = ("caw", "justice_centre", "youth_welfare", "mental_health",
                      "municipality", "education", "prison")
NEVER_RECIPIENT_KINDS = ("police",)


@dataclass(frozen=True)
class RecipientFacts:
    kind: str  # the receiving organisation's kind
    oversight: bool  # some of its users hold an oversight role: the operator's organisation
    livc_member: bool  # a member of the case's LIVC
    from_livc_decision: bool = False


def decide_recipient(facts: RecipientFacts, referral_kind: str, sphere: str | None
                     ) -> Decision:
    if facts.kind in NEVER_RECIPIENT_KINDS:
        return Decision(False, "no_referral_to_police", "The police never receive a "
                        "referral: the feedback sheet is the only output towards the police.")
    if facts.oversight:
        return Decision(False, "no_referral_to_operator", "The platform operator's "
                        "organisation has no care task and receives no referral.")
    if facts.from_livc_decision and not facts.livc_member:
        return Decision(False, "livc_members_only", "A LIVC decision refers only to the "
                        "LIVC's member organisations.")
    if referral_kind == "coordination":
        if facts.kind in COORDINATING_KINDS:
            return Decision(True, "coordinating_kind", "This kind of organisation "
                            "coordinates guidance.")
        return Decision(False, "coordinating_kind", "This kind of organisation does not "
                        "coordinate guidance.")
    if sphere in SPHERES_BY_KIND.get(facts.kind, ()):
        return Decision(True, "sphere_for_kind", "This kind of organisation offers care in "
                        "this sphere of life.")
    return Decision(False, "sphere_for_kind", "This kind of organisation does not offer care "
                    "in this sphere of life.")
