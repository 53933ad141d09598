"""A meeting's calendar file: no value can start a property of its own."""

from __future__ import annotations

import pytest

from tests.factories import plan, user_id, when


@pytest.mark.parametrize("brk", ["\r", "\n", "\r\n", "\u2028"])
def test_a_line_break_in_the_location_adds_no_property(world, brk):
    from tests.factories import build

    build(world)
    chair = world.login("chair")
    r = chair.post(f"/api/v1/livcs/{world.livc.id}/meetings", json={
        "scheduled_at": when(), "location": f"Town hall{brk}ATTENDEE:mailto:x@evil.example",
        "attendee_user_ids": [user_id(world, "member")]})
    assert r.status_code == 201, r.get_json()
    ics = chair.get(f"/api/v1/meetings/{r.get_json()['id']}/calendar.ics").get_data(
        as_text=True)
    lines = ics.split("\r\n")
    assert not any(line.startswith("ATTENDEE") for line in lines)
    assert all("\r" not in line and "\n" not in line for line in lines)
    assert any(line.startswith("LOCATION:Town hall\\nATTENDEE") for line in lines)
    assert plan  # the shared helper stays importable for the other meeting tests
