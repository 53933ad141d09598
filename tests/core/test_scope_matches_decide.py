"""Property: for generated worlds, the SQL scope returns exactly what ``decide`` allows.

Each example builds a small world (organisations, users with random roles, two
LIVCs, cases in random states, referrals, notes, disclosures, break-glass grants,
meetings with agendas and acknowledgements) in the database, then, for every
user, compares the ids the list scope returns with the ids ``policies.decide``
allows object by object -- for cases, notes and referrals, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import policies
from policies.actor import Actor
from policies.facts import CaseFacts, DisclosureFact, NoteFacts, ReferralFact, ReferralFacts
from referral.accounts.models import RoleAssignment, User
from referral.cases.models import BreakGlass, Case, Subject
from referral.cases.notes.models import Disclosure, Note
from referral.cases.referrals.models import Referral
from referral.core import clock
from referral.identity.models import DataKey
from referral.meetings.models import AgendaItem, Meeting, SecrecyAcknowledgement
from referral.organisations.models import Livc, Organisation
from referral.pathways.models import engine_set_state

EXAMPLES = int(os.environ.get("REFERRAL_TEST_PROPERTY_EXAMPLES", "1000"))
CASE_STATES = ("signalled", "screening", "internal_follow_up", "proposed", "guidance",
               "aftercare", "suspended", "closed")
REFERRAL_STATES = ("offered", "accepted", "declined", "withdrawn", "expired", "active",
                   "completed", "ended")
ORG_ROLES = ("reference_person", "case_worker", "auditor")
LIVC_ROLES = ("livc_chair", "livc_coordinator", "livc_member", "police_information_officer")

N_ORGS = 3

role_st = st.one_of(
    st.tuples(st.sampled_from(ORG_ROLES), st.none()),
    st.tuples(st.sampled_from(LIVC_ROLES), st.integers(0, 1)),
)
user_st = st.tuples(st.integers(0, N_ORGS - 1), st.frozensets(role_st, max_size=3))
referral_st = st.tuples(st.integers(0, N_ORGS - 1), st.sampled_from(REFERRAL_STATES))
note_st = st.tuples(st.integers(0, N_ORGS - 1), st.sampled_from(("internal", "police")),
                    st.lists(st.tuples(st.sampled_from(("case_team", "livc")), st.booleans()),
                             max_size=2))
case_st = st.fixed_dictionaries({
    "owner": st.integers(0, N_ORGS - 1),
    "livc": st.integers(0, 1),
    "state": st.sampled_from(CASE_STATES),
    "coordinator": st.one_of(st.none(), st.integers(0, N_ORGS - 1)),
    "referrals": st.lists(referral_st, max_size=3),
    "notes": st.lists(note_st, max_size=3),
    "on_agenda": st.booleans(),
})
world_st = st.fixed_dictionaries({
    "users": st.lists(user_st, min_size=1, max_size=6),
    "cases": st.lists(case_st, min_size=1, max_size=4),
    "break_glass": st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.booleans()),
                            max_size=2),
    "acks": st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1)), max_size=4),
})


def _build(s, spec):
    tag = uuid.uuid4().hex[:8]
    now = clock.now()
    orgs = [Organisation(name=f"org-{tag}-{i}", kind="caw") for i in range(N_ORGS)]
    livcs = [Livc(name=f"livc-{tag}-{i}") for i in range(2)]
    s.add_all(orgs + livcs)
    s.flush()
    users = []
    for i, (org_i, roles) in enumerate(spec["users"]):
        u = User(username=f"u-{tag}-{i}", display_name="u", password_hash="x",
                 organisation_id=orgs[org_i].id,
                 roles=[RoleAssignment(role=r, livc_id=livcs[lv].id if lv is not None else None)
                        for r, lv in roles])
        users.append(u)
    s.add_all(users)
    meetings = []
    for lv in livcs:
        key = DataKey()
        s.add(key)
        s.flush()
        m = Meeting(livc_id=lv.id, scheduled_at=now, created_by_user_id=users[0].id,
                    data_key_id=key.id)
        engine_set_state(m, "planned")
        meetings.append(m)
    s.add_all(meetings)
    s.flush()
    for user_i, livc_i in set(spec["acks"]):
        if user_i < len(users):
            s.add(SecrecyAcknowledgement(meeting_id=meetings[livc_i].id,
                                         user_id=users[user_i].id))
    cases, case_facts, notes, referrals = [], {}, {}, {}
    for ci, c in enumerate(spec["cases"]):
        key = DataKey()
        subject = Subject(pseudonym=f"p-{tag}-{ci}")
        s.add_all([key, subject])
        s.flush()
        state = c["state"]
        coordinator = c["coordinator"]
        if state in {"guidance", "aftercare"} and coordinator is None:
            coordinator = c["owner"]
        case = Case(reference=f"R-{tag}-{ci}", subject_id=subject.id, data_key_id=key.id,
                    livc_id=livcs[c["livc"]].id, owner_organisation_id=orgs[c["owner"]].id,
                    created_by_user_id=users[0].id, age_band="18-25",
                    coordinator_organisation_id=(orgs[coordinator].id
                                                 if coordinator is not None else None))
        engine_set_state(case, state)
        if state == "closed":
            case.closed_at, case.outcome = now, "done"
        s.add(case)
        s.flush()
        cases.append(case)
        rfacts = []
        for to_i, rstate in c["referrals"]:
            if to_i == c["owner"]:
                continue
            r = Referral(case_id=case.id, from_organisation_id=orgs[c["owner"]].id,
                         from_user_id=users[0].id, to_organisation_id=orgs[to_i].id,
                         kind="service", purpose="p",
                         reason="r" if rstate == "declined" else None,
                         outcome="o" if rstate == "completed" else None)
            engine_set_state(r, rstate)
            s.add(r)
            s.flush()
            rfacts.append(ReferralFact(r.id, orgs[c["owner"]].id, orgs[to_i].id, rstate))
            referrals[r.id] = rfacts[-1]
        if c["on_agenda"]:
            s.add(AgendaItem(meeting_id=meetings[c["livc"]].id, case_id=case.id, reason="new",
                             added_by_user_id=users[0].id))
        grants = frozenset(users[u].id for u, cidx, expired in spec["break_glass"]
                           if u < len(users) and cidx == ci and not expired)
        for u, cidx, expired in spec["break_glass"]:
            if u < len(users) and cidx == ci:
                s.add(BreakGlass(case_id=case.id, user_id=users[u].id,
                                 organisation_id=users[u].organisation_id, reason="r",
                                 expires_at=now + timedelta(hours=-1 if expired else 1)))
        acked = frozenset(users[u].id for u, lv in spec["acks"]
                          if u < len(users) and lv == c["livc"] and c["on_agenda"])
        facts = CaseFacts(id=case.id, owner_organisation_id=case.owner_organisation_id,
                          livc_id=case.livc_id, state=state,
                          coordinator_organisation_id=case.coordinator_organisation_id,
                          referrals=tuple(rfacts), break_glass_user_ids=grants,
                          acknowledged_user_ids=acked, on_agenda=c["on_agenda"])
        case_facts[case.id] = facts
        for author_i, compartment, disclosures in c["notes"]:
            n = Note(case_id=case.id, author_user_id=users[0].id,
                     author_organisation_id=orgs[author_i].id, compartment=compartment)
            s.add(n)
            s.flush()
            dfacts = []
            for audience, revoked in dict(disclosures).items():
                s.add(Disclosure(note_id=n.id, case_id=case.id, audience=audience, purpose="p",
                                 legal_basis="b", disclosed_by_user_id=users[0].id,
                                 disclosed_by_organisation_id=orgs[author_i].id,
                                 revoked_at=now if revoked else None,
                                 revoked_by_user_id=users[0].id if revoked else None))
                dfacts.append(DisclosureFact(audience, revoked))
            notes[n.id] = NoteFacts(id=n.id, case=facts,
                                    author_organisation_id=orgs[author_i].id,
                                    compartment=compartment, disclosures=tuple(dfacts))
    s.commit()
    actors = [Actor(user_id=u.id, organisation_id=u.organisation_id, organisation_kind="caw",
                    roles=frozenset((r.role, r.livc_id) for r in u.roles)) for u in users]
    actors.append(Actor.anonymous())
    return actors, case_facts, notes, referrals, now


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=world_st)
def test_scope_equals_decide(app, spec):
    maker = app.extensions["referral.db"].sessionmaker
    with maker() as s:
        actors, cases, notes, referrals, now = _build(s, spec)
    with maker() as s:
        for actor in actors:
            sql_cases = set(s.scalars(select(Case.id).where(
                Case.id.in_(cases), policies.scope(actor, "case:read", Case, now))))
            allowed_cases = {cid for cid, f in cases.items()
                             if policies.decide(actor, "case:read", f).allowed}
            assert sql_cases == allowed_cases, ("cases", actor)
            sql_notes = set(s.scalars(select(Note.id).where(
                Note.id.in_(notes), policies.scope(actor, "note:read", Note, now)))) \
                if notes else set()
            allowed_notes = {nid for nid, f in notes.items()
                             if policies.decide(actor, "note:read", f).allowed}
            assert sql_notes == allowed_notes, ("notes", actor,
                                                [notes[n] for n in sql_notes ^ allowed_notes])
            sql_refs = set(s.scalars(select(Referral.id).where(
                Referral.id.in_(referrals), policies.scope(actor, "referral:read", Referral,
                                                           now)))) if referrals else set()
            allowed_refs = {rid for rid, r in referrals.items() if policies.decide(
                actor, "referral:read", ReferralFacts(r, cases[_case_of(r, cases)])).allowed}
            assert sql_refs == allowed_refs, ("referrals", actor)
        s.rollback()


def _case_of(referral: ReferralFact, cases: dict) -> uuid.UUID:
    for cid, facts in cases.items():
        if referral in facts.referrals:
            return cid
    raise LookupError(referral)
