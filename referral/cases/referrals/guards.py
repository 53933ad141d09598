"""Guards of the referral pathway."""

from __future__ import annotations

from policies.vocabulary import VOLUNTARY_SPHERES
from referral.pathways.engine import Firing, GuardFn


def _consent(f: Firing) -> bool:
    case = (f.extra or {})["case"]
    return f.row.sphere_of_life not in VOLUNTARY_SPHERES or case.consent == "given"


def _legal_basis(f: Firing) -> bool:
    return f.row.sphere_of_life != "judicial_follow_up" or bool(f.row.legal_basis)


REFERRAL_GUARDS: dict[str, GuardFn] = {
    "consent_required": _consent,
    "legal_basis_required": _legal_basis,
    "reason_given": lambda f: bool(f.reason and f.reason.strip()),
    "outcome_given": lambda f: bool(f.outcome and f.outcome.strip()),
}

PARTNER_GUARDS: dict[str, GuardFn] = {
    "reason_given": lambda f: bool(f.reason and f.reason.strip()),
}
