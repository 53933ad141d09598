"""The case's access log tells its owner who accessed it -- but not who read or wrote the
police compartment: that the police hold notes on the person is police information."""

from __future__ import annotations

from tests.factories import in_session, user_id


def test_the_owner_does_not_learn_of_police_notes_from_the_access_log(world):
    case, chair, meeting = in_session(world, state="guidance")
    mid = meeting["id"]
    assert chair.post(f"/api/v1/meetings/{mid}/attendees",
                      json={"user_id": user_id(world, "police_io")}).status_code in {200, 201}
    police = world.login("police_io")
    assert police.post(f"/api/v1/meetings/{mid}/acknowledgements").status_code == 201
    r = police.post(f"/api/v1/cases/{case.id}/notes",
                    json={"body": "Known to the police for threats.", "compartment": "police"})
    assert r.status_code == 201, r.get_json()
    note_id = r.get_json()["id"]
    assert police.get(f"/api/v1/notes/{note_id}").status_code == 200
    owner_log = world.login("owner_rp").get(f"/api/v1/cases/{case.id}/access-log")
    assert owner_log.status_code == 200, owner_log.get_json()
    text = owner_log.get_data(as_text=True)
    assert note_id not in text
    assert '"purpose":"police"' not in text.replace(" ", "")
    # The auditor's search of the ledger still shows every event.
    trail = world.login("auditor1").get(f"/api/v1/audit/events?case_id={case.id}")
    assert trail.status_code == 200, trail.get_json()
    assert note_id in trail.get_data(as_text=True)
