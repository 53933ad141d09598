"""Who reads the annual assurance report of a LIVC.

The report counts what the law asks a DPO and a LIVC chair to answer for: re-identifications,
break-glass uses, disclosures, denials, purges and legal holds, and whether the audit chain
holds.  Counts only, small ones suppressed: the data protection officer reads every LIVC's,
a LIVC's chair their own LIVC's.  Naming another LIVC is refused with the rule (403): LIVCs
are in everyone's directory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from policies.actor import Actor, Decision


@dataclass(frozen=True)
class AssuranceFacts:
    """The assurance report of one LIVC."""

    livc_id: uuid.UUID


def decide_assurance(actor: Actor, action: str, facts: AssuranceFacts) -> Decision:
    if action != "assurance:read":
        return Decision(False, "no_rule", f"No rule grants {action}.")
    if actor.has_role("dpo"):
        return Decision(True, "assurance_dpo", "The data protection officer reads the "
                        "assurance report of every LIVC.")
    if actor.has_role("livc_chair", facts.livc_id):
        return Decision(True, "assurance_livc_chair", "A LIVC's chair reads its assurance "
                        "report.")
    return Decision(False, "assurance_readers", "The assurance report is read by the data "
                    "protection officer and by the LIVC's own chair.")
