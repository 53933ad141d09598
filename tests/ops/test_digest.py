"""Nothing peters out: the daily job finds stalled cases, repeated refusals and re-signals,
and each person gets one digest per period of their rhythm -- never one per event."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from referral.accounts.models import User
from referral.core import clock
from referral.core.ledger.models import AuditEvent
from referral.notifications.models import Notification
from referral.ops import jobs
from tests.factories import build, make_case, note, put


def _digests(dbs, username):
    rows = dbs.execute(select(Notification.message).join(User, User.id == Notification.user_id)
                       .where(User.username == username, Notification.kind == "digest")
                       .order_by(Notification.created_at)).scalars().all()
    dbs.rollback()
    return rows


def _run(app):
    with app.app_context():  # as `flask --app wsgi jobs run` runs it
        [result] = jobs.run(app, only=("digest",))
    return result


def test_a_stalled_case_reaches_owner_and_livc_coordinator_once_a_week(world, app, dbs):
    build(world)  # a case in guidance with no activity since it was opened
    clock.advance(timedelta(days=43))
    assert _run(app).changed >= 2
    for username in ("owner_rp", "coordinator"):
        [message] = _digests(dbs, username)
        assert message.startswith("Digest: 1 case(s) in follow-up without activity")
    # A second run the same day, and the next day: weekly means once a week.
    _run(app)
    clock.advance(timedelta(days=1))
    _run(app)
    assert len(_digests(dbs, "owner_rp")) == 1
    clock.advance(timedelta(days=6))
    _run(app)
    assert len(_digests(dbs, "owner_rp")) == 2
    # Someone with no relation to the case hears nothing.
    assert _digests(dbs, "elsewhere_rp") == []
    assert _digests(dbs, "auditor1") == []


def test_activity_on_the_case_takes_it_out_of_the_digest(world, app, dbs):
    case = build(world)
    clock.advance(timedelta(days=40))
    note(world.login("owner_rp"), case.id, "Spoke with the mentor this week.")
    clock.advance(timedelta(days=5))
    _run(app)
    assert _digests(dbs, "owner_rp") == []


def test_the_rhythm_is_each_users_own(world, app, dbs):
    build(world)
    owner = world.login("owner_rp")
    assert put(owner, "/api/v1/notifications/digest", {"rhythm": "daily"}).status_code == 200
    coordinator = world.login("coordinator")
    assert put(coordinator, "/api/v1/notifications/digest", {"rhythm": "off"}).status_code == 200
    r = put(owner, "/api/v1/notifications/digest", {"rhythm": "hourly"})
    assert r.status_code == 422
    assert "rhythm" in r.get_json()["errors"]
    clock.advance(timedelta(days=43))
    _run(app)
    clock.advance(timedelta(days=1))
    _run(app)
    assert len(_digests(dbs, "owner_rp")) == 2  # daily
    assert _digests(dbs, "coordinator") == []  # off
    again = world.login("owner_rp")  # the first session expired in the weeks that passed
    assert again.get("/api/v1/notifications/digest").get_json()["rhythm"] == "daily"
    changes = dbs.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "self:digest_rhythm"))
    dbs.rollback()
    assert changes == 2


def test_referrals_refused_twice_are_in_the_digest(world, app, dbs):
    build(world)
    make_case(world, state="screening",
              referrals=(("VDAB Gent", "declined"), ("Justitiehuis Gent", "expired")))
    _run(app)
    [message] = _digests(dbs, "owner_rp")
    assert "1 case(s) with referrals refused or expired twice" in message
    assert "without activity" not in message


def test_a_person_signalled_again_after_a_no_concern_closure(world, app, dbs):
    build(world)
    owner = world.login("owner_rp")
    identity = {"family_name": "Maes", "given_names": "Lotte", "birth_date": "2004-04-04"}
    r = owner.post("/api/v1/cases", json={"livc_id": str(world.livc.id), "identity": identity})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    r = owner.post(f"/api/v1/cases/{first['id']}/transitions", json={
        "trigger": "close_no_concern", "version": first["version"], "outcome": "no concern"})
    assert r.status_code == 200, r.get_json()
    clock.advance(timedelta(days=200))
    world.user("other_rp", "CGG Gent", ["reference_person"])
    other = world.login("other_rp")
    r = other.post("/api/v1/cases", json={"livc_id": str(world.livc.id), "identity": identity})
    assert r.status_code == 201, r.get_json()
    _run(app)
    [message] = _digests(dbs, "other_rp")
    assert "1 person(s) signalled again within 12 months" in message
    # The digest carries counts, never a reference, a name or a pseudonym.
    assert "Maes" not in message
    assert r.get_json()["reference"] not in message
