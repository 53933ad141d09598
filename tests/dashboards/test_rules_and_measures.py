"""Who reads which LIVC's statistics (policies.statistics), and the measures beside the
counts: medians only over five or more, rates only from published counts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

import policies
from policies.actor import Actor
from policies.statistics import StatisticsFacts, statistics_livcs
from referral.dashboards.statistics import (
    acceptance_rates,
    action_category,
    median_or_none,
    two_way,
)

GENT, ANTWERP = uuid.uuid4(), uuid.uuid4()


def _actor(*roles: tuple[str, uuid.UUID | None]) -> Actor:
    return Actor(user_id=uuid.uuid4(), organisation_id=uuid.uuid4(), roles=frozenset(roles))


@pytest.mark.parametrize(("roles", "livc", "allowed", "rule"), [
    ((("livc_chair", GENT),), GENT, True, "statistics_own_livc"),
    ((("livc_coordinator", GENT),), GENT, True, "statistics_own_livc"),
    ((("livc_chair", GENT),), ANTWERP, False, "statistics_own_livc"),
    ((("livc_member", GENT),), GENT, False, "statistics_own_livc"),
    ((("police_information_officer", GENT),), GENT, False, "statistics_own_livc"),
    ((("reference_person", None),), GENT, False, "statistics_own_livc"),
    ((("regional_analyst", None),), ANTWERP, True, "statistics_regional"),
])
def test_a_livc_s_statistics(roles, livc, allowed, rule):
    decision = policies.decide(_actor(*roles), "statistics:livc", StatisticsFacts(livc))
    assert (decision.allowed, decision.rule) == (allowed, rule)


@pytest.mark.parametrize(("roles", "allowed"), [
    ((("livc_chair", GENT),), True), ((("livc_coordinator", GENT),), True),
    ((("regional_analyst", None),), True), ((("livc_member", GENT),), False),
    ((("reference_person", None),), False), ((("auditor", None),), False),
    ((("dpo", None),), False), ((("admin", None),), False),
])
def test_who_reads_statistics_at_all(roles, allowed):
    decision = policies.decide(_actor(*roles), "statistics:read")
    assert decision.allowed is allowed
    assert decision.rule == "statistics_readers"
    assert policies.decide(_actor(*roles), "statistics:regional").allowed is (
        roles[0][0] == "regional_analyst")


def test_which_livcs_are_counted():
    assert statistics_livcs(_actor(("livc_chair", GENT), ("livc_coordinator", ANTWERP))) \
        == {GENT, ANTWERP}
    assert statistics_livcs(_actor(("regional_analyst", None))) is None
    assert statistics_livcs(_actor(("livc_member", GENT))) == frozenset()


def test_a_median_needs_five_values():
    assert median_or_none([1, 2, 3, 4]) is None
    assert median_or_none([1, 2, 3, 4, 10]) == 3


def test_an_acceptance_rate_only_beside_published_counts():
    raw = {("trauma", "accepted"): 8, ("trauma", "declined"): 2,
           ("social_context", "accepted"): 6, ("social_context", "declined"): 9,
           ("social_context", "expired"): 5}
    table = two_way({(str(GENT), *k): n for k, n in raw.items()}, GENT, crossed=True)
    rates = acceptance_rates(table)
    # Trauma's 2 declined read "<5" (with their complements, trauma's zero expired among
    # them): a rate beside a hidden count would give it away, so neither sphere has one.
    assert table.cells[("trauma", "declined")] == "<5"
    assert rates["trauma"] is None
    assert rates["social_context"] is None
    # The totals per outcome are published rounded (14, 11, 5 read 15, 10, 5): 15 of 30.
    assert rates[""] == 50


def test_an_action_s_follow_through():
    today = date(2026, 4, 10)
    due = date(2026, 4, 7)
    # Due days are Brussels days: 21:30 UTC is 23:30 there (on time), 22:30 UTC on the
    # due day is already the next day in Brussels (late).
    assert action_category("done", due, datetime(2026, 4, 7, 21, 30, tzinfo=UTC), today) \
        == "done_on_time"
    assert action_category("done", due, datetime(2026, 4, 7, 22, 30, tzinfo=UTC), today) \
        == "done_late"
    assert action_category("open", due, None, today) == "open_overdue"
    assert action_category("open", date(2026, 4, 10), None, today) == "open_not_due"
    assert action_category("not_possible", due, None, today) == "not_possible"
