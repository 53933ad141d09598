"""Who may see and do what with cases, notes and referrals (DESIGN.md §6).

The relations that grant access, and nothing else:

- **owner**: users with a case role (reference person, case worker) in the
  organisation that registered the case;
- **coordinator**: users with a case role in the organisation that coordinates
  the case (after a LIVC decision or an accepted coordination referral);
- **partner**: users with a case role in an organisation holding an
  *accepted* or *active* referral on the case;
- **offered**: users with a case role in an organisation holding an *offered*
  referral: a reduced header only (pseudonym, age band, municipality, purpose);
- **LIVC consultation**: the case LIVC's chair, coordinator, members and police
  information officer who acknowledged secrecy for a meeting that has the case on its
  agenda, while the case is proposed, in guidance or in aftercare: case material reaches
  the LIVC only as meeting material;
- **LIVC preparation**: the LIVC's chair and coordinator, for the same cases, without that
  acknowledgement: what preparing an agenda needs (pseudonym, reference, state, age band,
  dates), never reasons, notes or history;
- **break-glass**: a reference person with a reasoned, unexpired grant: the
  header only, never a secrecy compartment.

Administrators, auditors and DPOs hold no case role and so have no relation.
Membership of an organisation in a LIVC gives its users nothing without a LIVC
role.  Every relation ends the moment its fact ends.
"""

from __future__ import annotations

import uuid

from policies.actor import Actor, Decision
from policies.facts import (
    LIVC_STATES,
    PARTNER_STATES,
    CaseFacts,
    NoteFacts,
    ReferralFacts,
)
from policies.vocabulary import CASE_ROLES

LIVC_CASE_ROLES = ("livc_chair", "livc_coordinator", "livc_member", "police_information_officer")

ALLOW, DENY = True, False


def _d(allowed: bool, rule: str, reason: str) -> Decision:
    return Decision(allowed, rule, reason)


def _org_role(actor: Actor, org: uuid.UUID | None, *roles: str) -> bool:
    return org is not None and actor.organisation_id == org and any(
        actor.has_role(r) for r in roles)


def is_owner(actor: Actor, case: CaseFacts, *roles: str) -> bool:
    return _org_role(actor, case.owner_organisation_id, *(roles or CASE_ROLES))


def is_coordinator(actor: Actor, case: CaseFacts, *roles: str) -> bool:
    return _org_role(actor, case.coordinator_organisation_id, *(roles or CASE_ROLES))


def is_partner(actor: Actor, case: CaseFacts, *roles: str) -> bool:
    return any(r.state in PARTNER_STATES and _org_role(actor, r.to_organisation_id,
                                                       *(roles or CASE_ROLES))
               for r in case.referrals)


def is_offered(actor: Actor, case: CaseFacts) -> bool:
    return any(r.state == "offered" and _org_role(actor, r.to_organisation_id, *CASE_ROLES)
               for r in case.referrals)


def is_livc(actor: Actor, case: CaseFacts, *roles: str) -> bool:
    """A LIVC role on the case's LIVC while the case is in the LIVC states."""
    return case.state in LIVC_STATES and any(
        actor.has_role(r, case.livc_id) for r in (roles or LIVC_CASE_ROLES))


def in_consultation(actor: Actor, case: CaseFacts, *roles: str) -> bool:
    """:func:`is_livc`, and the actor acknowledged secrecy for a meeting with the case on its
    agenda: the only way case material reaches a LIVC role."""
    return actor.user_id in case.acknowledged_user_ids and is_livc(actor, case, *roles)


def preparing(actor: Actor, case: CaseFacts) -> bool:
    """The LIVC's chair or coordinator preparing agendas (no acknowledgement needed)."""
    return is_livc(actor, case, "livc_chair", "livc_coordinator")


def has_break_glass(actor: Actor, case: CaseFacts) -> bool:
    # Only reference persons may break the glass, and a grant lapses with the role (it would
    # otherwise outlive a role change for up to 24 hours).
    return actor.user_id in case.break_glass_user_ids and actor.has_role("reference_person")


def case_team(actor: Actor, case: CaseFacts) -> bool:
    """The owner and the organisations with an accepted or active referral: the case team.

    A coordinating organisation other than the owner is in it through the coordination
    referral it accepted; naming a coordinator gives nothing by itself.
    """
    return is_owner(actor, case) or is_partner(actor, case)


def full_header_relation(actor: Actor, case: CaseFacts) -> str | None:
    if is_owner(actor, case):
        return "owner_organisation"
    if is_coordinator(actor, case):
        return "case_coordinator"
    if is_partner(actor, case):
        return "accepted_partner"
    if in_consultation(actor, case):
        return "livc_consultation"
    if has_break_glass(actor, case):
        return "break_glass"
    return None


def reduced_header_relation(actor: Actor, case: CaseFacts) -> str | None:
    """Relations that read a reduced header only."""
    if preparing(actor, case):
        return "livc_preparation"
    if is_offered(actor, case):
        return "offered_referral_reduced"
    return None


def _no_relation() -> Decision:
    return _d(DENY, "no_relation", "No relation to this case.")


def decide_case(actor: Actor, action: str, case: CaseFacts) -> Decision:
    if actor.is_anonymous:
        return _d(DENY, "authentication_required", "Log in first.")
    relation = full_header_relation(actor, case)
    reduced = reduced_header_relation(actor, case) if relation is None else None
    if relation is None and reduced is None:
        return _no_relation()
    if action == "case:read":
        if relation is not None:
            return _d(ALLOW, relation, "Reads the case header.")
        if reduced == "livc_preparation":
            return _d(ALLOW, reduced, "Preparing the LIVC's agendas: a reduced header only.")
        return _d(ALLOW, "offered_referral_reduced",
                  "An offered referral shows a reduced header only.")
    if reduced == "livc_preparation":
        if action == "case:livc_decide":  # the decision itself is taken in the meeting
            return _d(ALLOW, "livc_chair_or_coordinator", "The LIVC decides.")
        return _d(DENY, "livc_preparation", "Case material reaches the LIVC as meeting "
                  "material: acknowledge secrecy for a meeting with this case on its agenda.")
    if relation is None:
        return _d(DENY, "offered_referral_reduced",
                  "Accept the referral first; until then only the reduced header is visible.")
    if relation == "break_glass":
        # Break-glass opens the header, nothing else: not the history (free-text reasons),
        # not the actions, never a note.
        return _d(DENY, "break_glass", "Break-glass gives read access to the header only.")
    if action in {"case:history", "case:diagram", "case:transitions"}:
        return _d(ALLOW, relation, "Reads the case's pathway.")
    if action in {"case:update", "case:manage"}:
        if is_owner(actor, case) or is_coordinator(actor, case):
            return _d(ALLOW, "owner_or_coordinator", "The owner and the coordinator manage "
                      "the case.")
        return _d(DENY, "owner_or_coordinator", "Only the owner organisation or the case "
                  "coordinator manage the case.")
    if action == "case:propose":
        if is_owner(actor, case, "reference_person"):
            return _d(ALLOW, "owner_reference_person", "The owner's reference person proposes.")
        return _d(DENY, "owner_reference_person", "Only the owner organisation's reference "
                  "person proposes a case to the LIVC.")
    if action == "case:livc_decide":
        if is_livc(actor, case, "livc_chair", "livc_coordinator"):
            return _d(ALLOW, "livc_chair_or_coordinator", "The LIVC decides.")
        return _d(DENY, "livc_chair_or_coordinator", "Only the LIVC's chair or coordinator "
                  "record LIVC decisions.")
    if action == "case:refer":
        if is_owner(actor, case) or is_coordinator(actor, case):
            return _d(ALLOW, "owner_or_coordinator", "The owner and the coordinator refer.")
        return _d(DENY, "owner_or_coordinator", "Only the owner organisation or the case "
                  "coordinator hand the case on.")
    if action == "case:reidentify":
        if is_owner(actor, case, "reference_person"):
            return _d(ALLOW, "owner_reference_person", "The owner's reference person.")
        if is_partner(actor, case):
            return _d(ALLOW, "accepted_partner", "Accepted partners meet the person.")
        if case.on_agenda and in_consultation(actor, case, "livc_chair"):
            return _d(ALLOW, "livc_chair_on_agenda", "The chair, for a case on an agenda.")
        return _d(DENY, "reidentify_care_relation", "Re-identification needs a care relation: "
                  "the owner's reference person, an accepted partner, or the LIVC chair for a "
                  "case on an agenda.")
    if action == "case:access_log":
        if is_owner(actor, case, "reference_person"):
            return _d(ALLOW, "owner_reference_person", "Owners see who accessed their case.")
        return _d(DENY, "owner_reference_person", "Only the owner organisation's reference "
                  "persons read the case's access log.")
    if action == "note:create":
        if case_team(actor, case) or in_consultation(actor, case, "police_information_officer"):
            return _d(ALLOW, relation, "Writes a note in its own compartment.")
        return _d(DENY, "case_team_only", "Only the case team (and the police information "
                  "officer, for police notes) write notes.")
    if action == "note:list":
        return _d(ALLOW, relation, "Lists the notes this actor may read.")
    return _d(DENY, "no_rule", f"No rule grants {action}.")


def decide_note(actor: Actor, action: str, note: NoteFacts) -> Decision:
    case = note.case
    header = decide_case(actor, "case:read", case)
    if not header.allowed or header.rule in {"offered_referral_reduced", "livc_preparation"}:
        return _no_relation() if not header.allowed else _d(
            DENY, header.rule, "A reduced header shows no notes.")
    own_org = actor.organisation_id == note.author_organisation_id and case_team(actor, case)
    if action == "note:read":
        if note.compartment == "internal" and own_org:
            return _d(ALLOW, "author_organisation", "The author organisation's compartment.")
        if note.compartment == "police" and in_consultation(
                actor, case, "police_information_officer", "livc_chair"):
            return _d(ALLOW, "police_compartment", "Police information: police information "
                      "officers and the LIVC chair.")
        active = [d.audience for d in note.disclosures if not d.revoked]
        if "case_team" in active and case_team(actor, case):
            return _d(ALLOW, "disclosed_case_team", "Disclosed to the case team.")
        if "livc" in active and in_consultation(actor, case):
            return _d(ALLOW, "disclosed_livc", "Disclosed to the LIVC consultation.")
        return _d(DENY, "secrecy_compartment", "This note is in another organisation's "
                  "secrecy compartment and was not disclosed to you.")
    if action in {"note:disclose", "disclosure:revoke"}:
        if actor.organisation_id == note.author_organisation_id and (
                case_team(actor, case)
                or in_consultation(actor, case, "police_information_officer")):
            return _d(ALLOW, "author_organisation", "Only the holder of a secret shares it.")
        return _d(DENY, "author_organisation_only", "Only the author organisation discloses "
                  "or revokes.")
    return _d(DENY, "no_rule", f"No rule grants {action}.")


def decide_referral(actor: Actor, action: str, facts: ReferralFacts) -> Decision:
    r, case = facts.referral, facts.case
    # A LIVC decision's referral is sent by the LIVC: its chair and coordinator act for it.
    sender = (_org_role(actor, r.from_organisation_id, *CASE_ROLES)
              or (r.from_livc_id is not None
                  and any(actor.has_role(role, r.from_livc_id)
                          for role in ("livc_chair", "livc_coordinator"))))
    recipient = _org_role(actor, r.to_organisation_id, *CASE_ROLES)
    owner = is_owner(actor, case)
    if not (sender or recipient or owner):
        return _no_relation()
    if action == "referral:read":
        return _d(ALLOW, "referral_party", "Sender, recipient and case owner see the referral.")
    if action == "referral:decide":
        if _org_role(actor, r.to_organisation_id, "reference_person"):
            return _d(ALLOW, "recipient_reference_person", "The recipient's inbox decides.")
        return _d(DENY, "recipient_reference_person", "Only the recipient organisation's "
                  "reference persons accept or decline.")
    if action == "referral:withdraw":
        if sender:
            return _d(ALLOW, "sender_organisation", "The sender withdraws.")
        return _d(DENY, "sender_organisation", "Only the sending organisation withdraws.")
    if action in {"referral:progress", "partner_pathway:progress"}:
        if recipient:
            return _d(ALLOW, "recipient_organisation", "The recipient works the referral.")
        return _d(DENY, "recipient_organisation", "Only the recipient organisation moves "
                  "the referral on.")
    if action == "referral:expire":
        return _d(DENY, "system_only", "Only the scheduled job expires referrals.")
    return _d(DENY, "no_rule", f"No rule grants {action}.")


def reads_free_text(actor: Actor, written_by: uuid.UUID | None, *, for_livc: bool = False,
                    written_by_livc: uuid.UUID | None = None) -> bool:
    """Free-text reasons (a transition's reason, a referral's decline or end reason, an
    outcome) are content: the organisation that wrote one reads it; others see that the act
    happened, when and by which organisation.  Text the system wrote (``written_by`` None)
    and text written for the LIVC (a meeting's decision entry) are read by whoever reads the
    record.  Text a LIVC wrote (withdrawing its referral) is read by its chair and
    coordinator."""
    if written_by_livc is not None:
        return any(actor.has_role(role, written_by_livc)
                   for role in ("livc_chair", "livc_coordinator"))
    return written_by is None or for_livc or actor.organisation_id == written_by
