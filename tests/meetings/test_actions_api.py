"""Actions that follow through, through the API: the status with the reason why, the
version, the history and the ledger; who sees an action and who updates it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral.core import clock
from tests.factories import assert_problem, org_id
from tests.meetings.actions_support import (
    FIELDS,
    decide_actions,
    events,
    missing,
    other_livc_chair,
)

PLAN = "Plan the intake interview with the person"


def _two_actions(world):
    return decide_actions(world, ("CAW Gent", PLAN, 14),
                          ("CGG Gent", "Assess the need for trauma counselling", 30))


def test_the_list_has_the_contract_fields_and_its_filters(world):
    _case, chair, meeting, (caw, cgg) = _two_actions(world)
    owner = world.login("owner_rp")
    [item] = owner.get("/api/v1/actions").get_json()["items"]
    assert set(item) >= FIELDS
    assert (item["id"], item["status"], item["status_reason"], item["overdue"]) == (
        caw["id"], "open", None, False)
    assert item["organisation_name"] == "CAW Gent"
    assert item["meeting_id"] == meeting["id"]
    # The chair tracks every action of the LIVC.
    listed = chair.get("/api/v1/actions").get_json()
    assert [i["id"] for i in listed["items"]] == [caw["id"], cgg["id"]]
    cgg_org = org_id(world, "CGG Gent")
    assert [i["id"] for i in chair.get(f"/api/v1/actions?organisation_id={cgg_org}")
            .get_json()["items"]] == [cgg["id"]]
    assert chair.get(f"/api/v1/actions?livc_id={world.livc.id}").get_json()["total"] == 2
    assert chair.get(f"/api/v1/actions?livc_id={missing()}").get_json()["total"] == 0
    assert chair.get("/api/v1/actions?status=done").get_json()["total"] == 0
    assert chair.get("/api/v1/actions?overdue=true").get_json()["total"] == 0
    clock.advance(timedelta(days=20))
    chair = world.login("chair")  # the session would have expired
    late = chair.get("/api/v1/actions?overdue=true").get_json()["items"]
    assert [(i["id"], i["overdue"]) for i in late] == [(caw["id"], True)]
    assert [i["id"] for i in chair.get("/api/v1/actions?overdue=false").get_json()["items"]] \
        == [cgg["id"]]
    assert_problem(chair.get("/api/v1/actions?status=finished"), 422)


@pytest.mark.parametrize("status", ["not_possible", "not_done"])
def test_not_possible_and_not_done_need_the_reason_why(world, status):
    _case, _chair, _meeting, (action, _) = _two_actions(world)
    owner = world.login("owner_cw")
    url = f"/api/v1/actions/{action['id']}"
    for body in ({"status": status}, {"status": status, "status_reason": "   "},
                 {"status": status, "status_reason": None}):
        problem = assert_problem(owner.patch(url, json=body), 422)
        assert list(problem["errors"]) == ["status_reason"]
    r = owner.patch(url, json={"status": status, "status_reason": "The person moved abroad.",
                               "version": action["version"]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["status_reason"]) == (status, "The person moved abroad.")
    assert body["version"] == action["version"] + 1
    assert r.headers["ETag"] == f'"v{body["version"]}"'
    assert_problem(owner.patch(url, json={"status": "finished"}), 422)


def test_a_stale_version_is_409_and_nothing_changes(world):
    _case, chair, _meeting, (action, _) = _two_actions(world)
    owner = world.login("owner_rp")
    url = f"/api/v1/actions/{action['id']}"
    assert owner.patch(url, json={"status": "done", "version": 1}).status_code == 200
    problem = assert_problem(chair.patch(url, json={
        "status": "not_done", "status_reason": "Nobody followed up.", "version": 1}), 409)
    assert problem["current_version"] == 2
    assert_problem(chair.patch(url, json={"status": "open"}, headers={"If-Match": '"v1"'}), 409)
    assert owner.get(url).get_json()["status"] == "done"
    # The same status again is no change (outside a meeting's review).
    assert_problem(owner.patch(url, json={"status": "done", "version": 2}), 409)


def test_every_change_is_in_the_history_and_on_the_ledger(world):
    _case, chair, meeting, (action, _) = _two_actions(world)
    owner = world.login("owner_rp")
    url = f"/api/v1/actions/{action['id']}"
    secret = "The person refused to come to the intake."
    assert owner.patch(url, json={"status": "not_possible", "status_reason": secret}
                       ).status_code == 200
    assert chair.patch(url, json={"status": "open", "status_reason": "Try again."}
                       ).status_code == 200
    r = owner.patch(url, json={"status": "done"})
    assert r.status_code == 200, r.get_json()
    body = owner.get(url).get_json()
    assert (body["status"], body["status_reason"]) == ("done", None)
    steps = [(h["from_status"], h["to_status"], h["reason"], h["actor_organisation_name"])
             for h in body["history"]]
    assert steps == [(None, "open", None, "Stad Gent"),
                     ("open", "not_possible", secret, "CAW Gent"),
                     ("not_possible", "open", "Try again.", "Stad Gent"),
                     ("open", "done", None, "CAW Gent")]
    # Given in the meeting that decided it; changed outside any session.
    assert [h["meeting_id"] for h in body["history"]] == [meeting["id"], None, None, None]
    ledger = events(world, "action:update", action["id"])
    assert [(e.purpose, e.rule, e.outcome) for e in ledger] == [
        ("open -> not_possible", "action_status", "allowed"),
        ("not_possible -> open", "action_status", "allowed"),
        ("open -> done", "action_status", "allowed")]
    assert all(secret not in (e.purpose or "") for e in events(world, "action:update"))
    # The reads are on the ledger too.
    assert events(world, "action:read", action["id"])


@pytest.mark.parametrize("name", ["elsewhere_rp", "offered_rp", "accepted_rp", "police_io",
                                  "member", "auditor1", "other_chair"])
def test_without_a_relation_an_action_does_not_exist(world, name):
    _case, _chair, _meeting, (action,) = decide_actions(world, ("CAW Gent", PLAN, 14))
    other_livc_chair(world)
    api = world.login(name)
    url = f"/api/v1/actions/{action['id']}"
    absent = assert_problem(api.get(f"/api/v1/actions/{missing()}"), 404)
    for response in (api.get(url), api.patch(url, json={"status": "done"}),
                     api.post(f"{url}/done")):
        assert assert_problem(response, 404)["detail"] == absent["detail"]
    listed = api.get("/api/v1/actions?include_done=true")
    assert PLAN not in listed.get_data(as_text=True)
    assert action["id"] not in listed.get_data(as_text=True)
    # The attempts are on the ledger as denials, as for an id that does not exist.
    assert {(e.outcome, e.rule) for e in events(world, "action:update")} == {
        ("denied", "no_relation")}


def test_an_acknowledged_attendee_sees_the_action_but_does_not_update_it(world):
    _case, _chair, meeting, (action,) = decide_actions(world, ("CAW Gent", PLAN, 14))
    member = world.login("member")  # attends, CGG Gent, not the owner organisation
    url = f"/api/v1/actions/{action['id']}"
    assert_problem(member.get(url), 404)
    assert member.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    body = member.get(url).get_json()
    assert body["description"] == PLAN
    assert [i["id"] for i in member.get("/api/v1/actions").get_json()["items"]] == [
        action["id"]]
    assert_problem(member.patch(url, json={"status": "done"}), 403, rule="action_status")
    assert events(world, "action:read", action["id"])[-1].rule == "secrecy_acknowledged"


def test_the_owner_organisations_case_roles_and_the_livc_managers_update(world):
    _case, chair, _meeting, (action,) = decide_actions(world, ("CGG Gent", PLAN, 14))
    url = f"/api/v1/actions/{action['id']}"
    # CGG Gent's LIVC member sees its organisation's action; its case roles follow it up.
    member = world.login("member")
    assert member.get(url).status_code == 200
    assert_problem(member.patch(url, json={"status": "done"}), 403, rule="action_status")
    assert world.login("member_rp").patch(url, json={"status": "done"}).status_code == 200
    assert chair.patch(url, json={"status": "open"}).status_code == 200
    coordinator = world.login("coordinator")
    r = coordinator.patch(url, json={"status": "not_done", "status_reason": "Out of time."})
    assert r.status_code == 200, r.get_json()
    # The owner of the case is not the owner of this action.
    assert_problem(world.login("owner_rp").patch(url, json={"status": "done"}), 404)


def test_marking_done_the_old_way_sets_the_status(world):
    _case, _chair, _meeting, (action,) = decide_actions(world, ("CAW Gent", PLAN, 14))
    owner = world.login("owner_cw")
    body = owner.post(f"/api/v1/actions/{action['id']}/done").get_json()
    assert (body["status"], body["status_reason"]) == ("done", None)
    assert body["done_at"]
    history = owner.get(f"/api/v1/actions/{action['id']}").get_json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "open"),
                                                                   ("open", "done")]


def test_anonymous_users_get_401(world, client):
    _case, _chair, _meeting, (action,) = decide_actions(world, ("CAW Gent", PLAN, 14))
    assert client.get("/api/v1/actions").status_code == 401
    assert client.patch(f"/api/v1/actions/{action['id']}", json={"status": "done"}
                        ).status_code in {401, 403}
