"""LIVC decisions drive the case pathway, in the same transaction; actions are tracked."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.core import calendar, clock
from referral.meetings.models import Action, Decision
from referral.pathways.models import TransitionRecord
from tests.factories import assert_problem, count, in_session, org_id


def _decide(chair, meeting, case, decision, **extra):
    return chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": decision, "text": f"The LIVC decided: {decision}.",
        **extra})


def _case(dbs, case):
    row = dbs.get(Case, case.id, populate_existing=True)
    state, coordinator, review = row.state, row.coordinator_organisation_id, row.next_review_due
    dbs.rollback()
    return state, coordinator, review


def test_start_programme_appoints_the_coordinator_and_starts_guidance(world, dbs):
    case, chair, meeting = in_session(world, state="proposed")
    caw = org_id(world, "CAW Gent")
    r = _decide(chair, meeting, case, "start_programme")
    assert "coordinator_organisation_id" in assert_problem(r, 422)["errors"]
    due = (clock.now().date() + timedelta(days=30)).isoformat()
    r = _decide(chair, meeting, case, "start_programme", coordinator_organisation_id=caw,
                actions=[{"organisation_id": caw, "description": "Plan the intake", "due": due}])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["case_state"] == "guidance"
    state, coordinator, review = _case(dbs, case)
    assert (state, str(coordinator)) == ("guidance", caw)
    # The LIVC's review interval, on a working day in Brussels (issue 16: deadlines).
    assert review == calendar.next_working_day(calendar.today() + timedelta(days=90))
    # The timeline shows the decision with its meeting.
    history = world.login("owner_rp").get(f"/api/v1/cases/{case.id}/history").get_json()
    entry = history[-1]
    assert (entry["trigger"], entry["to_state"]) == ("start_guidance", "guidance")
    assert entry["meeting_id"] == meeting["id"]
    assert entry["decision_id"] == body["id"]
    assert "start_programme" in entry["reason"]
    # The action is on the owner organisation's list until it is done.
    owner = world.login("owner_cw")
    [action] = owner.get("/api/v1/actions").get_json()["items"]
    assert action["description"] == "Plan the intake"
    assert_problem(world.login("elsewhere_rp").post(f"/api/v1/actions/{action['id']}/done"),
                   404)
    assert_problem(chair.post(f"/api/v1/actions/{action['id']}/done"), 403,
                   rule="action_owner_organisation")
    assert owner.post(f"/api/v1/actions/{action['id']}/done").get_json()["done_at"]
    assert owner.get("/api/v1/actions").get_json()["items"] == []
    assert_problem(owner.post(f"/api/v1/actions/{action['id']}/done"), 409)


@pytest.mark.parametrize(("state", "decision", "extra", "after"), [
    ("proposed", "no_livc_case", {}, "internal_follow_up"),
    ("guidance", "step_down", {}, "aftercare"),
    ("aftercare", "close", {"outcome": "disengaged"}, "closed"),
])
def test_transition_decisions(world, dbs, state, decision, extra, after):
    case, chair, meeting = in_session(world, state=state, referrals=False)
    r = _decide(chair, meeting, case, decision, **extra)
    assert r.status_code == 201, r.get_json()
    assert _case(dbs, case)[0] == after
    record = dbs.scalar(select(TransitionRecord).where(
        TransitionRecord.decision_id == uuid.UUID(r.get_json()["id"])))
    assert (record.from_state, record.to_state) == (state, after)
    assert str(record.meeting_id) == meeting["id"]
    dbs.rollback()


@pytest.mark.parametrize("decision", ["continue", "adjust"])
def test_continue_and_adjust_reset_the_review_date(world, dbs, decision):
    from sqlalchemy import update

    case, chair, meeting = in_session(world, state="guidance")
    with world.session() as s:
        s.execute(update(Case).where(Case.id == case.id).values(
            next_review_due=clock.now().date() - timedelta(days=5)))
        s.commit()
    r = _decide(chair, meeting, case, decision)
    assert r.status_code == 201, r.get_json()
    state, _coordinator, review = _case(dbs, case)
    assert state == "guidance"
    assert review == calendar.next_working_day(calendar.today() + timedelta(days=90))
    entry = world.login("owner_rp").get(f"/api/v1/cases/{case.id}/history").get_json()[-1]
    assert (entry["trigger"], entry["from_state"], entry["to_state"]) == (
        decision, "guidance", "guidance")
    assert entry["decision_id"] == r.get_json()["id"]


def test_refer_creates_the_named_referrals(world, dbs):
    case, chair, meeting = in_session(world, state="guidance")
    cgg = org_id(world, "CGG Gent")
    r = _decide(chair, meeting, case, "refer", referrals=[{
        "to_organisation_id": cgg, "kind": "service", "sphere_of_life": "mental_health_addiction",
        "purpose": "assessment"}])
    assert r.status_code == 201, r.get_json()
    [referral_id] = r.get_json()["referral_ids"]
    stored = dbs.get(Referral, uuid.UUID(referral_id))
    assert (stored.state, str(stored.meeting_id), str(stored.to_organisation_id)) == (
        "offered", meeting["id"], cgg)
    dbs.rollback()
    inbox = world.login("member_rp").get("/api/v1/referrals?direction=incoming").get_json()
    assert [i["id"] for i in inbox["items"]] == [referral_id]
    assert "referrals" in assert_problem(_decide(chair, meeting, case, "refer"), 422)["errors"]
    assert "referrals" in assert_problem(_decide(chair, meeting, case, "continue", referrals=[{
        "to_organisation_id": cgg, "kind": "coordination", "purpose": "x"}]), 422)["errors"]


@pytest.mark.parametrize(("state", "decision", "extra", "status"), [
    ("proposed", "continue", {}, 409),          # nothing to continue yet
    ("guidance", "start_programme", {"coordinator_organisation_id": "CAW Gent"}, 409),
    ("proposed", "step_down", {}, 409),
    ("guidance", "step_down", {}, 422),         # open referrals: guard no_open_referral
    ("guidance", "close", {"outcome": "moved away"}, 422),
    ("guidance", "close", {}, 422),             # no outcome
])
def test_a_refused_decision_records_nothing(world, dbs, state, decision, extra, status):
    case, chair, meeting = in_session(world, state=state)
    if "coordinator_organisation_id" in extra:
        extra = {**extra, "coordinator_organisation_id": org_id(world, "CGG Gent")}
    before = _case(dbs, case)
    history = count(dbs, TransitionRecord, case_id=case.id)
    r = _decide(chair, meeting, case, decision, actions=[{
        "organisation_id": org_id(world, "CAW Gent"), "description": "follow up",
        "due": clock.now().date().isoformat()}], **extra)
    problem = assert_problem(r, status)
    assert problem["detail"]
    assert count(dbs, Decision, case_id=case.id) == 0
    assert count(dbs, Action, case_id=case.id) == 0
    assert count(dbs, TransitionRecord, case_id=case.id) == history
    assert _case(dbs, case) == before


def test_decisions_only_in_session_by_the_chair_or_coordinator(world):
    case, chair, meeting = in_session(world, state="guidance")
    member = world.login("member")
    assert_problem(_decide(member, meeting, case, "continue"), 403, rule="meeting_manager")
    r = _decide(world.login("coordinator"), meeting, case, "continue")
    assert r.status_code == 201, r.get_json()
    chair.post(f"/api/v1/meetings/{meeting['id']}/transitions", json={"trigger": "close"})
    assert_problem(_decide(chair, meeting, case, "adjust"), 409)
    assert_problem(_decide(world.login("owner_rp"), meeting, case, "adjust"), 404)
