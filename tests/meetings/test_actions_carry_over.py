"""Open actions are carried onto the LIVC's next meeting, once, and reviewed there: a
status change while that meeting is in session keeps its id."""

from __future__ import annotations

from datetime import timedelta

from referral.core import clock
from referral.meetings.models import ActionCarryOver
from tests.factories import assert_problem, count
from tests.meetings.actions_support import decide_actions, events, plan_later

PLAN = "Plan the intake interview with the person"
ASSESS = "Assess the need for trauma counselling"


def _transition(chair, meeting, trigger):
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/transitions", json={"trigger": trigger})
    assert r.status_code == 200, r.get_json()


def test_open_actions_are_carried_onto_the_next_meeting_once(world, dbs):
    _case, chair, first, (plan, assess) = decide_actions(
        world, ("CAW Gent", PLAN, 14), ("CGG Gent", ASSESS, 60))
    assert world.login("member_rp").patch(f"/api/v1/actions/{assess['id']}",
                                          json={"status": "done"}).status_code == 200
    later = plan_later(world, chair)
    url = f"/api/v1/meetings/{later['id']}/actions"
    for _ in range(2):
        body = chair.get(url).get_json()
        assert [(i["id"], i["origin"], i["reviewed"], i["overdue"]) for i in body["items"]] == [
            (plan["id"], "carried", False, False)]
        assert body["items"][0]["carried_at"]
    assert count(dbs, ActionCarryOver, meeting_id=later["id"]) == 1
    [carried] = events(world, "action:carry_over", plan["id"])
    assert (carried.actor_user_id, carried.case_id) == (None, _case.id)
    # The meeting that decided them lists both as its own.
    mine = chair.get(f"/api/v1/meetings/{first['id']}/actions").get_json()["items"]
    assert [(i["id"], i["origin"]) for i in mine] == [(plan["id"], "decided"),
                                                      (assess["id"], "decided")]
    # Overdue by the time the next meeting looks at it.
    clock.advance(timedelta(days=20))
    chair = world.login("chair")
    [item] = chair.get(url).get_json()["items"]
    assert item["overdue"] is True
    assert count(dbs, ActionCarryOver) == 1


def test_a_cancelled_meeting_carries_nothing(world, dbs):
    _case, chair, _first, _actions = decide_actions(world, ("CAW Gent", PLAN, 14))
    later = plan_later(world, chair)
    _transition(chair, later, "cancel")
    assert chair.get(f"/api/v1/meetings/{later['id']}/actions").get_json()["items"] == []
    assert count(dbs, ActionCarryOver) == 0


def test_a_change_in_the_next_session_is_its_review(world):
    _case, chair, first, (plan,) = decide_actions(world, ("CAW Gent", PLAN, 14))
    _transition(chair, first, "close")
    later = plan_later(world, chair)
    owner = world.login("owner_rp")
    url = f"/api/v1/actions/{plan['id']}"
    assert_problem(owner.patch(url, json={"status": "open"}), 409)  # no session: no change
    _transition(chair, later, "open")
    # Nobody read the new meeting's actions yet: the review carries the action itself.
    r = owner.patch(url, json={"status": "open"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["history"][-1]["meeting_id"] == later["id"]
    problem = assert_problem(owner.patch(url, json={"status": "done",
                                                    "meeting_id": first["id"]}), 422)
    assert list(problem["errors"]) == ["meeting_id"]
    r = owner.patch(url, json={"status": "done", "meeting_id": later["id"]})
    assert r.status_code == 200, r.get_json()
    [item] = chair.get(f"/api/v1/meetings/{later['id']}/actions").get_json()["items"]
    assert (item["status"], item["reviewed"]) == ("done", True)
    assert [e.purpose for e in events(world, "action:update", plan["id"])] == [
        f"open -> open (review in meeting {later['id']})",
        f"open -> done (review in meeting {later['id']})"]


def test_the_next_meetings_acknowledged_attendees_see_what_it_reviews(world):
    _case, chair, _first, (plan,) = decide_actions(world, ("CAW Gent", PLAN, 14))
    later = plan_later(world, chair)
    member = world.login("member")  # attends both, acknowledges neither yet
    action_url = f"/api/v1/actions/{plan['id']}"
    url = f"/api/v1/meetings/{later['id']}/actions"
    assert_problem(member.get(url), 403, rule="secrecy_acknowledged")
    for name in ("elsewhere_rp", "police_io"):
        assert_problem(world.login(name).get(url), 404)
    assert member.post(f"/api/v1/meetings/{later['id']}/acknowledgements").status_code == 201
    assert_problem(member.get(action_url), 404)  # not yet carried onto the meeting
    [item] = member.get(url).get_json()["items"]
    assert (item["id"], item["description"]) == (plan["id"], PLAN)
    assert member.get(action_url).status_code == 200
    assert_problem(member.patch(action_url, json={"status": "done"}), 403, rule="action_status")
