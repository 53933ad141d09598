"""`make run`'s demo: every role finds something to do at once, built by the rules."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.core import db
from referral.core.ledger.models import AuditEvent
from referral.meetings.models import FeedbackSheet, Meeting
from referral.ops import demo, demo_world


def _load(app):
    with app.app_context():
        s = db.database().sessionmaker()
        try:
            created = demo.load(s)
            s.commit()
        finally:
            s.close()
    assert created
    return demo_world.populate(app, demo.DEMO_PASSWORD)


def test_the_demo_world_has_a_case_in_each_state_and_work_for_every_role(app):
    references = _load(app)
    assert set(references) == {"signalled", "screening", "proposed", "guidance", "closed"}
    with app.app_context():
        s = db.database().sessionmaker()
        try:
            states = dict(s.execute(select(Case.reference, Case.state)).all())
            assert {references[k]: k for k in references} == dict(states.items())
            referral_states = sorted(s.scalars(select(Referral.state)))
            assert referral_states == ["accepted", "offered"]  # VDAB's inbox waits
            meetings = sorted(s.scalars(select(Meeting.state)))
            assert meetings == ["in_session", "planned"]
            assert s.scalar(select(FeedbackSheet.state)) == "draft"
            # Built through the API: every step is on the ledger, by its demo user.
            assert s.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "case:create")) == 5
        finally:
            s.close()


def test_the_demo_speaks_dutch_and_names_no_real_person(app):
    _load(app)
    with app.app_context():
        s = db.database().sessionmaker()
        try:
            purposes = list(s.scalars(select(Referral.purpose)))
        finally:
            s.close()
    assert all(" de " in p or " een " in p or p.startswith("Ondersteuning") for p in purposes)
    assert all(family == "Voorbeeld" for family, _, _ in demo_world.PEOPLE.values())
