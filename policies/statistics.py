"""Who reads aggregated statistics, and of which LIVCs.

Statistics are counts over cases and referrals, never a case: the LIVC's chair and
coordinator read those of their own LIVC(s), the regional analyst those of every LIVC.
Asking for another LIVC is refused with the rule (403): LIVCs are in everyone's directory,
so naming one discloses nothing, and the refusal says why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from policies.actor import Actor, Decision

LIVC_READERS = ("livc_chair", "livc_coordinator")
REGIONAL_READERS = ("regional_analyst",)


@dataclass(frozen=True)
class StatisticsFacts:
    """The statistics of one LIVC."""

    livc_id: uuid.UUID


def statistics_livcs(actor: Actor) -> frozenset[uuid.UUID] | None:
    """The LIVCs whose statistics ``actor`` reads; ``None``: every LIVC (the region)."""
    if any(actor.has_role(r) for r in REGIONAL_READERS):
        return None
    return actor.livcs_with(*LIVC_READERS)


def decide_statistics(actor: Actor, action: str, facts: StatisticsFacts) -> Decision:
    if action != "statistics:livc":
        return Decision(False, "no_rule", f"No rule grants {action}.")
    if any(actor.has_role(r) for r in REGIONAL_READERS):
        return Decision(True, "statistics_regional", "The regional analyst reads the "
                        "statistics of every LIVC.")
    if any(actor.has_role(r, facts.livc_id) for r in LIVC_READERS):
        return Decision(True, "statistics_own_livc", "The LIVC's chair and coordinator read "
                        "its statistics.")
    return Decision(False, "statistics_own_livc", "A LIVC's statistics are read by its own "
                    "chair and coordinator (and by the regional analyst).")
