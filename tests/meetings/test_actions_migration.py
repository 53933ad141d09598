"""Migration 0010 gives the actions that existed a status: done when they were done."""

from __future__ import annotations

from sqlalchemy import text

from referral.core import migrate
from tests.meetings.actions_support import decide_actions


def test_existing_actions_keep_what_they_were(world, app):
    _case, _chair, _meeting, (done, still_open) = decide_actions(
        world, ("CAW Gent", "Plan the intake", 14), ("CAW Gent", "Call the school", 30))
    owner = world.login("owner_rp")
    assert owner.post(f"/api/v1/actions/{done['id']}/done").status_code == 200
    url = app.config["DATABASE_URL"]
    app.extensions["referral.db"].dispose()
    migrate.downgrade(url, "0009")
    migrate.upgrade(url)
    engine = app.extensions["referral.db"].engine
    with engine.connect() as conn:
        rows = dict(conn.execute(text(
            "SELECT description, status FROM actions WHERE status_changed_at IS NULL "
            "OR status_changed_at = done_at")).all())
    assert rows == {"Plan the intake": "done", "Call the school": "open"}
    listed = owner.get("/api/v1/actions?include_done=true").get_json()["items"]
    assert [(i["id"], i["status"]) for i in listed] == [(done["id"], "done"),
                                                        (still_open["id"], "open")]
