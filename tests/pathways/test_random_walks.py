"""Stateful property test: random triggers by random actors against the case engine.

After every step: the state is a state of the definition; every state change has
exactly one history row and one audit event; a refused trigger changed nothing;
a closed case has no open referral.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

import policies
import workflows
from referral.cases.access import case_facts
from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.core.ledger.models import AuditEvent
from referral.pathways.models import TransitionRecord
from tests.factories import build, make_case

PATHWAY = workflows.get("disengagement", 1)
ACTORS = ("owner_rp", "owner_cw", "accepted_rp", "offered_rp", "chair", "coordinator",
          "police_io", "elsewhere_rp", "auditor1")


def test_random_walks_keep_the_invariants(world):
    build(world)
    apis = {name: world.login(name) for name in ACTORS}
    actor_objs = {}
    maker = world.app.extensions["referral.db"].sessionmaker

    from referral.accounts.models import User
    from referral.accounts.sessions import actor_for

    with maker() as s:
        for name in ACTORS:
            actor_objs[name] = actor_for(s.scalar(select(User).where(User.username == name)))

    class CaseWalk(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.case = make_case(world, state="signalled",
                                  referrals=(("Justitiehuis Gent", "accepted"),))
            self.fired = 0

        def _counts(self) -> tuple[str, int, int]:
            with maker() as s:
                case = s.get(Case, self.case.id)
                history = s.scalar(select(func.count(TransitionRecord.id)).where(
                    TransitionRecord.object_id == self.case.id,
                    TransitionRecord.trigger != "create"))
                events = s.scalar(select(func.count(AuditEvent.seq)).where(
                    AuditEvent.case_id == self.case.id, AuditEvent.action == "case:transition"))
                s.rollback()
                return case.state, history, events

        @rule(actor=st.sampled_from(ACTORS), trigger=st.sampled_from(PATHWAY.triggers),
              outcome=st.sampled_from([None, "stable"]), reason=st.sampled_from([None, "r"]))
        def fire(self, actor, trigger, outcome, reason):
            before, _, _ = self._counts()
            with maker() as s:
                facts = case_facts(s, s.get(Case, self.case.id))
                s.rollback()
            body = {"trigger": trigger}
            if outcome:
                body["outcome"] = outcome
            if reason:
                body["reason"] = reason
            r = apis[actor].post(f"/api/v1/cases/{self.case.id}/transitions", json=body)
            assert r.status_code in {200, 403, 404, 409, 422}, r.get_json()
            after, _, _ = self._counts()
            if r.status_code == 200:
                self.fired += 1
                options = [t for t in PATHWAY.transitions_for(trigger) if before in t.sources]
                assert options, (before, trigger)
                assert policies.decide(actor_objs[actor], options[0].permission, facts).allowed
                assert after in {t.dest for t in options}
            else:
                assert after == before

        @rule(field=st.sampled_from(["inform", "coordinator", "consent"]))
        def owner_prepares(self, field):
            body = {"inform": {"informing_status": "informed"},
                    "consent": {"consent": "given"},
                    "coordinator": {"coordinator_user_id":
                                    str(actor_objs["owner_rp"].user_id)}}[field]
            r = apis["owner_rp"].patch(f"/api/v1/cases/{self.case.id}", json=body)
            assert r.status_code in {200, 404, 410}

        @rule()
        def owner_discloses_to_livc(self):
            api = apis["owner_rp"]
            r = api.post(f"/api/v1/cases/{self.case.id}/notes",
                         json={"body": "for the LIVC", "compartment": "internal"})
            if r.status_code == 201:
                api.post(f"/api/v1/notes/{r.get_json()['id']}/disclosures", json={
                    "audience": "livc", "purpose": "consultation", "legal_basis": "458ter"})

        @rule()
        def partner_completes(self):
            api = apis["accepted_rp"]
            for ref in api.get(f"/api/v1/referrals?case_id={self.case.id}").get_json()["items"]:
                for trigger, extra in (("start", {}), ("complete", {"outcome": "ok"})):
                    api.post(f"/api/v1/referrals/{ref['id']}/transitions",
                             json={"trigger": trigger, **extra})

        @invariant()
        def consistent(self):
            state, history, events = self._counts()
            assert state in PATHWAY.states
            assert history == self.fired
            assert events == self.fired
            if state == "closed":
                with maker() as s:
                    open_refs = s.scalar(select(func.count(Referral.id)).where(
                        Referral.case_id == self.case.id,
                        Referral._state.in_(workflows.OPEN_REFERRAL_STATES)))
                    s.rollback()
                assert open_refs == 0

    CaseWalk.TestCase.settings = settings(
        max_examples=15, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    CaseWalk.TestCase().runTest()
