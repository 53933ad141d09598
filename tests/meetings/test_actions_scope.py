"""Property: the SQL condition of the action list returns exactly the actions ``decide``
allows one by one, and the facts the service gathers for a page are the facts of each.

Each example builds two LIVCs with two meetings each, users with random organisation and
LIVC roles, secrecy acknowledgements, actions given to random organisations by random
meetings, and carry-overs onto the other meeting of the same LIVC.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import policies
from policies.action_scope import action_condition
from policies.actor import Actor
from policies.meetings import ActionFacts
from referral.accounts.models import RoleAssignment, User
from referral.cases.models import Case, Subject
from referral.core import clock
from referral.identity.models import DataKey
from referral.meetings.actions import facts_of
from referral.meetings.models import (
    Action,
    ActionCarryOver,
    Decision,
    Meeting,
    SecrecyAcknowledgement,
)
from referral.organisations.models import Livc, Organisation
from referral.pathways.models import engine_set_state

EXAMPLES = int(os.environ.get("REFERRAL_TEST_PROPERTY_EXAMPLES", "300"))
N_ORGS, N_MEETINGS = 3, 4  # meetings 0 and 1 of LIVC 0, 2 and 3 of LIVC 1
ORG_ROLES = ("reference_person", "case_worker", "auditor", "access_manager")
LIVC_ROLES = ("livc_chair", "livc_coordinator", "livc_member", "police_information_officer")

role_st = st.one_of(st.tuples(st.sampled_from(ORG_ROLES), st.none()),
                    st.tuples(st.sampled_from(LIVC_ROLES), st.integers(0, 1)))
world_st = st.fixed_dictionaries({
    "users": st.lists(st.tuples(st.integers(0, N_ORGS - 1), st.frozensets(role_st, max_size=3)),
                      min_size=1, max_size=6),
    "acks": st.frozensets(st.tuples(st.integers(0, 5), st.integers(0, N_MEETINGS - 1)),
                          max_size=6),
    # (owner organisation, deciding meeting, carried onto the LIVC's other meeting)
    "actions": st.lists(st.tuples(st.integers(0, N_ORGS - 1), st.integers(0, N_MEETINGS - 1),
                                  st.booleans()), min_size=1, max_size=5),
})


def _build(s, spec):
    tag = uuid.uuid4().hex[:8]
    now = clock.now()
    orgs = [Organisation(name=f"org-{tag}-{i}", kind="caw") for i in range(N_ORGS)]
    livcs = [Livc(name=f"livc-{tag}-{i}") for i in range(2)]
    s.add_all(orgs + livcs)
    s.flush()
    users = [User(username=f"u-{tag}-{i}", display_name="u", password_hash="x",
                  organisation_id=orgs[org_i].id,
                  roles=[RoleAssignment(role=r, livc_id=livcs[lv].id if lv is not None else None)
                         for r, lv in roles])
             for i, (org_i, roles) in enumerate(spec["users"])]
    s.add_all(users)
    s.flush()
    meetings, cases, decisions = [], [], []
    for i in range(N_MEETINGS):
        key = DataKey()
        s.add(key)
        s.flush()
        m = Meeting(livc_id=livcs[i // 2].id, scheduled_at=now + timedelta(days=i),
                    created_by_user_id=users[0].id, data_key_id=key.id)
        engine_set_state(m, "planned")
        meetings.append(m)
    for lv in livcs:
        key, subject = DataKey(), Subject(pseudonym=f"p-{tag}-{lv.name}")
        s.add_all([key, subject])
        s.flush()
        case = Case(reference=f"R-{tag}-{lv.name}", subject_id=subject.id, data_key_id=key.id,
                    livc_id=lv.id, owner_organisation_id=orgs[0].id,
                    created_by_user_id=users[0].id, age_band="18-25",
                    coordinator_organisation_id=orgs[0].id)
        engine_set_state(case, "guidance")
        cases.append(case)
    s.add_all(meetings + cases)
    s.flush()
    for i, m in enumerate(meetings):
        decisions.append(Decision(meeting_id=m.id, case_id=cases[i // 2].id, decision="continue",
                                  decided_by_user_id=users[0].id))
    s.add_all(decisions)
    s.flush()
    acked: dict[int, set[uuid.UUID]] = {i: set() for i in range(N_MEETINGS)}
    for user_i, meeting_i in spec["acks"]:
        if user_i < len(users):
            s.add(SecrecyAcknowledgement(meeting_id=meetings[meeting_i].id,
                                         user_id=users[user_i].id))
            acked[meeting_i].add(users[user_i].id)
    expected: dict[uuid.UUID, ActionFacts] = {}
    for org_i, meeting_i, carried in spec["actions"]:
        a = Action(decision_id=decisions[meeting_i].id, meeting_id=meetings[meeting_i].id,
                   case_id=cases[meeting_i // 2].id, organisation_id=orgs[org_i].id,
                   description="d", due=date(2030, 1, 1))
        s.add(a)
        s.flush()
        seen = set(acked[meeting_i])
        if carried:
            other = meeting_i ^ 1  # the LIVC's other meeting
            s.add(ActionCarryOver(meeting_id=meetings[other].id, action_id=a.id))
            seen |= acked[other]
        expected[a.id] = ActionFacts(organisation_id=orgs[org_i].id,
                                     livc_id=meetings[meeting_i].livc_id,
                                     acknowledged_user_ids=frozenset(seen))
    s.commit()
    actors = [Actor(user_id=u.id, organisation_id=u.organisation_id, organisation_kind="caw",
                    roles=frozenset((r.role, r.livc_id) for r in u.roles)) for u in users]
    actors.append(Actor.anonymous())
    return actors, expected


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=world_st)
def test_action_scope_equals_decide(app, spec):
    maker = app.extensions["referral.db"].sessionmaker
    with maker() as s:
        actors, expected = _build(s, spec)
    with maker() as s:
        rows = list(s.scalars(select(Action).where(Action.id.in_(expected))))
        assert facts_of(s, rows) == expected
        for actor in actors:
            in_sql = set(s.scalars(select(Action.id).where(
                Action.id.in_(expected), action_condition(actor, Action.__table__))))
            allowed = {aid for aid, f in expected.items()
                       if policies.decide(actor, "action:read", f).allowed}
            assert in_sql == allowed, (actor, in_sql ^ allowed)
        s.rollback()
