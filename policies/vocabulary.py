"""Roles, organisation kinds and other closed vocabularies shared by the rules."""

from __future__ import annotations

ORGANISATION_KINDS = ("caw", "justice_centre", "vdab", "youth_welfare", "education",
                      "mental_health", "municipality", "police", "prison", "other")

# Roles that give a relation to case content (through the organisation or the LIVC).
CASE_ROLES = ("reference_person", "case_worker")
LIVC_ROLES = ("livc_chair", "livc_coordinator", "livc_member", "police_information_officer")
# Roles of the platform and the region that must never see case content and never combine
# with a case role (nor with each other).
OVERSIGHT_ROLES = ("auditor", "dpo", "admin", "regional_analyst")
# Each organisation's own administrator of its users' case roles (as the Flemish ACM/IDM's
# local administrator): never case content, never combined with a case role.
ACCESS_ROLES = ("access_manager",)
ROLES = CASE_ROLES + LIVC_ROLES + OVERSIGHT_ROLES + ACCESS_ROLES

SECURITY_CLEARANCES = ("none", "confidential", "secret", "top_secret")
REQUIRED_CLEARANCE = {"police_information_officer": "secret"}


def clearance_at_least(actual: str, required: str) -> bool:
    return SECURITY_CLEARANCES.index(actual) >= SECURITY_CLEARANCES.index(required)


CASE_CONTEXTS = ("community", "detention", "after_detention", "youth_facility")
RADICALISATION_PHASES = ("sensitivity", "group_membership", "action_preparation", "action",
                         "unknown")
INFORMING_STATUSES = ("informed", "not_informed")
INFORMED_PARTIES = ("subject", "guardian")
CONSENT_VALUES = ("given", "refused", "unknown")

NOTE_COMPARTMENTS = ("internal", "police")
DISCLOSURE_AUDIENCES = ("case_team", "livc")

REFERRAL_KINDS = ("service", "coordination")
SPHERES_OF_LIFE = ("psycho_social", "training_employment", "mental_health_addiction", "trauma",
                   "social_context", "alternative_discourse", "judicial_follow_up")
VOLUNTARY_SPHERES = SPHERES_OF_LIFE[:-1]

AGENDA_REASONS = ("new", "review", "urgent")
DECISIONS = ("start_programme", "continue", "adjust", "refer", "step_down", "close",
             "no_livc_case")
FEEDBACK_STATES = ("draft", "issued")

# A LIVC action's follow-through; a reason is required for the two that did not happen.
ACTION_STATUSES = ("open", "done", "not_possible", "not_done")
ACTION_STATUSES_WITH_REASON = ("not_possible", "not_done")
# Why a partner holds relevant information it does not share in a consultation: a category,
# never content (the right to speak without the duty to, art. 458ter Sw.).
WITHHELD_REASONS = ("professional_secrecy", "no_consent", "not_proportionate", "other")

# Why an identity was revealed, counted by the annual assurance report (never the text).
REIDENTIFY_REASONS = ("care_contact", "safety_risk", "legal_obligation", "data_subject_request",
                      "other")
