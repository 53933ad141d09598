"""The annual assurance report: counts per LIVC and year from the ledger, small counts
suppressed, for the DPO and the LIVC's own chair only, each read on the ledger."""

from __future__ import annotations

from sqlalchemy import select

from referral.core import calendar
from referral.core.ledger.models import AuditEvent
from tests.audit.workspace_support import actor_of
from tests.factories import assert_problem, build, make_case

YEAR = calendar.today().year


def _record(world, user, action, case_id, n, purpose=None, outcome="allowed"):
    from referral.core.ledger import chain

    with world.session() as s:
        for _ in range(n):
            if outcome == "allowed":
                chain.record(s, actor_of(user), action, object_type="case",
                             object_id=case_id, case_id=case_id, purpose=purpose)
            else:
                chain.record(s, actor_of(user), action, object_type="case",
                             object_id=case_id, case_id=case_id, outcome="denied",
                             rule="no_relation")
        s.commit()


def _user(world, username):
    from referral.accounts.models import User

    with world.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        s.expunge(user)
        return user


def _report(api, world, **extra):
    return api.get(f"/api/v1/assurance-report?livc_id={world.livc.id}&year={YEAR}", **extra)


def test_counts_by_reason_with_small_counts_suppressed_and_the_total_safe(world):
    case = build(world)
    world.user("dpo1", "Operator", ["dpo"])
    owner = _user(world, "owner_rp")
    _record(world, owner, "case:reidentify", case.id, 7, "care_contact: home visit")
    _record(world, owner, "case:reidentify", case.id, 2, "safety_risk: threat made")
    _record(world, owner, "note:disclose", case.id, 6)
    _record(world, owner, "case:read", case.id, 3, outcome="denied")
    r = _report(world.login("dpo1"), world)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    by_reason = {row["reason_category"]: row["count"] for row in
                 body["reidentifications"]["by_reason"]}
    # 2 is small; with the total published, 7 would give it away: both are hidden.
    assert by_reason == {"care_contact": "<5", "safety_risk": "<5"}
    assert body["reidentifications"]["total"] == 10  # 9, rounded to a multiple of 5
    assert body["disclosures"]["made"] == 5  # 6, rounded
    assert body["denials"] == "<5"
    assert body["livc_name"] == world.livc.name
    assert "2" not in str(by_reason.values())


def test_another_livcs_cases_are_not_counted(world):
    build(world)
    world.user("dpo1", "Operator", ["dpo"])
    mine = world.livc
    world.make_livc("LIVC Elders", members=("CAW Gent",))  # becomes world.livc
    elsewhere = make_case(world)
    world.livc = mine
    _record(world, _user(world, "owner_rp"), "note:disclose", elsewhere.id, 8)
    body = _report(world.login("dpo1"), world).get_json()
    assert body["disclosures"]["made"] == 0


def test_only_the_dpo_and_the_livcs_own_chair_read_it_and_each_read_is_logged(world, dbs):
    build(world)
    world.user("dpo1", "Operator", ["dpo"])
    assert _report(world.login("chair"), world).status_code == 200
    for username in ("coordinator", "owner_rp", "auditor1", "admin1", "member"):
        assert_problem(_report(world.login(username), world), 403, rule="assurance_readers")
    mine = world.livc
    other = world.make_livc("LIVC Elders", members=("CAW Gent",))
    world.livc = mine
    r = world.login("chair").get(f"/api/v1/assurance-report?livc_id={other.id}&year={YEAR}")
    assert_problem(r, 403, rule="assurance_readers")
    outcomes = dbs.scalars(select(AuditEvent.outcome).where(
        AuditEvent.action == "assurance:read")).all()
    dbs.rollback()
    assert outcomes.count("allowed") == 1
    assert outcomes.count("denied") == 6


def test_bad_queries_are_refused_with_the_field(world):
    build(world)
    world.user("dpo1", "Operator", ["dpo"])
    dpo = world.login("dpo1")
    assert "year" in assert_problem(dpo.get(
        f"/api/v1/assurance-report?livc_id={world.livc.id}&year=1999"), 422)["errors"]
    assert "livc_id" in assert_problem(dpo.get(
        f"/api/v1/assurance-report?year={YEAR}"), 422)["errors"]
    assert_problem(dpo.get(
        f"/api/v1/assurance-report?livc_id=00000000-0000-0000-0000-000000000000&year={YEAR}"),
        404)


def test_printable_in_dutch_through_the_api_and_the_page(world):
    build(world)
    world.user("dpo1", "Operator", ["dpo"])
    dpo = world.login("dpo1")
    r = _report(dpo, world, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<html lang="nl-BE">' in html
    assert "Heridentificaties" in html
    page = dpo.get(f"/assurance?livc_id={world.livc.id}&year={YEAR}").get_data(as_text=True)
    assert "Heridentificaties" in page
    form = dpo.get("/assurance").get_data(as_text=True)
    assert world.livc.name in form
    assert world.login("owner_rp").get("/assurance").status_code == 403
