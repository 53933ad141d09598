"""A LIVC with enough cases to count, a second LIVC, and a regional analyst."""

from __future__ import annotations

from typing import Any

from tests.factories import build, make_case

# Gent: 1 + 6 in guidance, 3 in screening, 5 closed (build() makes the first guidance case).
GENT_STATES = ("guidance",) * 6 + ("screening",) * 3 + ("closed",) * 5


def populate(world: Any) -> dict[str, Any]:
    """Returns the cases (for the tests that look for their references) and both LIVCs."""
    first = build(world)
    cases = [first] + [make_case(world, state=s) for s in GENT_STATES]
    gent = world.livc
    world.org("Stad Antwerpen", "municipality")
    antwerp = world.make_livc("LIVC Antwerpen", members=("CAW Antwerpen", "Stad Antwerpen"))
    cases += [make_case(world, owner="CAW Antwerpen", state="signalled") for _ in range(6)]
    world.user("chair_antwerp", "Stad Antwerpen", ["livc_chair"])
    world.livc = gent
    world.user("analyst", "Operator", ["regional_analyst"])
    return {"cases": cases, "gent": gent, "antwerp": antwerp}


def secrets_of(world: Any, cases: list[Any]) -> list[str]:
    """What must never appear in a statistics answer: ids, references, pseudonyms."""
    from referral.cases.models import Subject

    found = []
    with world.session() as s:
        for case in cases:
            found += [str(case.id), case.id.hex, case.reference,
                      s.get(Subject, case.subject_id).pseudonym]
    return found
