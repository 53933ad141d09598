"""An organisation's response times, red/amber/green, with a controllable clock; who reads
them (the organisation, a LIVC's chair and coordinator over their LIVC's cases) and who
does not."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from referral.cases.models import Case, Subject
from referral.core.ledger.models import AuditEvent
from tests.core.calendar_support import brussels, travel_to
from tests.factories import assert_problem, build

MONDAY = brussels(2026, 3, 30, 10)  # Monday 30 March 2026; Easter Monday is 6 April


def url(world, org: str) -> str:
    return f"/api/v1/organisations/{world.orgs[org].id}/response-times"


def times(world, org: str, username: str = "member_rp") -> dict:
    r = world.login(username).get(url(world, org))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def refer(world, to: str = "CGG Gent", sphere: str = "trauma") -> tuple[object, str]:
    case = build(world) if world.livc is None else None
    case_id = case.id if case is not None else _some_case(world)
    r = world.login("owner_rp").post(f"/api/v1/cases/{case_id}/referrals", json={
        "to_organisation_id": str(world.orgs[to].id), "kind": "service",
        "sphere_of_life": sphere, "purpose": "counselling"})
    assert r.status_code == 201, r.get_json()
    return case_id, r.get_json()["id"]


def _some_case(world) -> uuid.UUID:
    with world.session() as s:
        return s.scalar(select(Case.id).where(Case._state == "guidance").limit(1))


def answer(world, referral_id: str, trigger: str = "accept") -> None:
    body = {"trigger": trigger} | ({"reason": "no capacity"} if trigger == "decline" else {})
    r = world.login("member_rp").post(f"/api/v1/referrals/{referral_id}/transitions",
                                      json=body)
    assert r.status_code == 200, r.get_json()


def test_a_referral_goes_green_amber_red_on_working_days(world):
    travel_to(MONDAY)
    _case_id, referral_id = refer(world)
    body = times(world, "CGG Gent")
    assert (body["status"], body["oldest_unanswered_working_days"]) == ("green", 0)
    assert body["referrals_unanswered"] == 1
    # Thursday: 3 of 5 working days used (60 %).
    travel_to(brussels(2026, 4, 2, 10))
    assert (times(world, "CGG Gent")["status"], times(world, "CGG Gent")[
        "oldest_unanswered_working_days"]) == ("green", 3)
    # Friday: 4 of 5 (80 %, past the default 75 %).
    travel_to(brussels(2026, 4, 3, 10))
    assert times(world, "CGG Gent")["status"] == "amber"
    # Easter Monday is no working day: still 4 used, still amber, not overdue.
    travel_to(brussels(2026, 4, 6, 15))
    body = times(world, "CGG Gent")
    assert (body["status"], body["oldest_unanswered_working_days"]) == ("amber", 4)
    travel_to(brussels(2026, 4, 7, 23, 30))  # the last day, late evening in Brussels
    assert times(world, "CGG Gent")["status"] == "amber"
    # Wednesday 00:30 in Brussels (Tuesday in UTC), before the expiry job ran: overdue.
    travel_to(brussels(2026, 4, 8, 0, 30))
    body = times(world, "CGG Gent")
    assert (body["status"], body["referrals_overdue"]) == ("red", 1)
    # Answered late: nothing is open any more, the late answer stays in the figures.
    answer(world, referral_id)
    body = times(world, "CGG Gent")
    assert body["status"] == "green"
    assert (body["referrals_answered"], body["referrals_answered_in_time"]) == (1, 0)
    assert (body["referrals_unanswered"], body["oldest_unanswered_working_days"]) == (0, None)
    _case_id, second = refer(world, sphere="psycho_social")
    answer(world, second, "decline")
    body = times(world, "CGG Gent")
    assert (body["referrals_answered"], body["referrals_answered_in_time"]) == (2, 1)


def test_the_amber_share_is_configured(world):
    travel_to(MONDAY)
    refer(world)
    travel_to(brussels(2026, 4, 2, 10))  # 3 of 5 working days
    assert times(world, "CGG Gent")["status"] == "green"
    world.app.config["RESPONSE_TIME_AMBER_SHARE"] = 0.5
    body = times(world, "CGG Gent")
    assert (body["status"], body["amber_share"]) == ("amber", 0.5)


def test_overdue_screenings_and_reviews_turn_the_owner_red(world, dbs):
    travel_to(MONDAY)
    build(world)
    r = world.login("owner_rp").post("/api/v1/cases", json={
        "livc_id": str(world.livc.id), "identity": {
            "family_name": "Claes", "given_names": "Mira", "birth_date": "1999-04-01"}})
    assert r.status_code == 201, r.get_json()
    assert times(world, "CAW Gent", "owner_rp")["status"] == "green"
    travel_to(brussels(2026, 4, 3, 10))  # screening: 4 of 5 working days
    assert times(world, "CAW Gent", "owner_cw")["status"] == "amber"
    travel_to(brussels(2026, 4, 8, 9))
    body = times(world, "CAW Gent", "owner_rp")
    assert (body["status"], body["screenings_overdue"], body["reviews_overdue"]) == ("red", 1, 0)
    # The guidance case it coordinates was due for review yesterday.
    dbs.execute(update(Case).where(Case._state == "guidance")
                .values(next_review_due=brussels(2026, 4, 7).date()))
    dbs.commit()
    body = times(world, "CAW Gent", "owner_rp")
    assert (body["screenings_overdue"], body["reviews_overdue"]) == (1, 1)
    # Another organisation's overdue items are not CAW's, nor CAW's theirs.
    assert times(world, "CGG Gent")["status"] == "green"


def _second_livc(world) -> None:
    """LIVC Twee, of which CGG Gent is also a member, with its own chair."""
    first = world.livc
    world.org("Stad Antwerpen", "municipality")
    world.make_livc("LIVC Twee", members=("CGG Gent", "Stad Antwerpen"))
    world.user("chair2", "Stad Antwerpen", ["livc_chair"])
    world.make_livc("LIVC Drie", members=("Stad Antwerpen",))
    world.user("chair3", "Stad Antwerpen", ["livc_chair"])
    world.livc = first


def test_a_livc_chair_reads_a_member_organisations_counts_over_its_own_cases(world):
    travel_to(MONDAY)
    case_id, _referral = refer(world)
    _second_livc(world)
    travel_to(brussels(2026, 4, 8, 9))
    own = times(world, "CGG Gent")
    for username in ("chair", "coordinator"):
        body = times(world, "CGG Gent", username)
        assert body == {**own, "livc_ids": [str(world.livc.id)]}
        assert body["status"] == "red"
    assert own["livc_ids"] is None
    # The chair of another LIVC of CGG's sees nothing of LIVC Test's cases.
    other = times(world, "CGG Gent", "chair2")
    assert (other["status"], other["referrals_unanswered"], other["referrals_overdue"]) == (
        "green", 0, 0)
    # Counts only: no case, reference or pseudonym anywhere in the answer.
    with world.session() as s:
        reference, pseudonym = s.execute(
            select(Case.reference, Subject.pseudonym).join(Subject, Subject.id == Case.subject_id)
            .where(Case.id == case_id)).one()
    text = world.login("chair").get(url(world, "CGG Gent")).get_data(as_text=True)
    for secret in (str(case_id), reference, pseudonym):
        assert secret not in text


@pytest.mark.parametrize("username", ["police_io", "elsewhere_rp", "auditor1", "admin1",
                                      "owner_rp", "chair3"])
def test_others_are_refused_naming_the_rule(world, username):
    travel_to(MONDAY)
    refer(world)
    _second_livc(world)
    r = world.login(username).get(url(world, "CGG Gent"))
    body = assert_problem(r, 403, rule="response_times_readers")
    assert "referrals_answered" not in body
    with world.session() as s:
        denied = s.scalar(select(AuditEvent.rule).where(
            AuditEvent.action == "organisation:response_times",
            AuditEvent.outcome == "denied"))
    assert denied == "response_times_readers"


def test_unknown_organisation_is_404_and_anonymous_401(world, client):
    travel_to(MONDAY)
    refer(world)
    assert_problem(world.login("member_rp").get(
        f"/api/v1/organisations/{uuid.uuid4()}/response-times"), 404)
    assert_problem(client.get(url(world, "CGG Gent")), 401)


def test_each_read_is_on_the_ledger_with_the_rule_that_allowed_it(world):
    travel_to(MONDAY)
    refer(world)
    times(world, "CGG Gent")
    times(world, "CGG Gent", "chair")
    with world.session() as s:
        rows = s.execute(select(AuditEvent.object_id, AuditEvent.rule).where(
            AuditEvent.action == "organisation:response_times",
            AuditEvent.outcome == "allowed").order_by(AuditEvent.seq)).all()
    org = str(world.orgs["CGG Gent"].id)
    assert [(str(o), r) for o, r in rows] == [(org, "response_times_own_organisation"),
                                              (org, "response_times_livc")]
