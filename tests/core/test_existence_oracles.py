"""An id that does not exist and an id of a row one has no relation to are answered alike:
the same 404 body, the same denial on the ledger, and the same database work (the same
statements in the same order), so neither the answer nor its timing tells them apart.

Timing itself is measured by the benchmark; here the work is compared statement by
statement, which is deterministic.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from referral.cases.referrals.models import Referral
from referral.core.ledger.models import AuditEvent
from tests.factories import in_session, note, org_id

Capture = list[str]


@contextmanager
def _statements(app: Any) -> Iterator[Capture]:
    engine = app.extensions["referral.db"].engine
    seen: Capture = []

    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def _world(world: Any, dbs: Any) -> dict[str, str]:
    """Something of every kind, none of it related to ``elsewhere_rp``."""
    case, chair, meeting = in_session(world, state="proposed")
    owner = world.login("owner_rp")
    note_id = note(owner, case.id, "Seen at the youth centre; calmer.", disclose_to="livc")
    disclosure_id = owner.get(f"/api/v1/notes/{note_id}").get_json()["disclosures"][0]["id"]
    mid = meeting["id"]
    for name in ("coordinator", "member"):
        assert world.login(name).post(f"/api/v1/meetings/{mid}/acknowledgements"
                                      ).status_code == 201
    assert chair.post(f"/api/v1/meetings/{mid}/acknowledgements").status_code == 201
    r = chair.post(f"/api/v1/meetings/{mid}/feedback-sheets",
                   json={"case_id": str(case.id), "text": "Followed up by the partners."})
    assert r.status_code == 201, r.get_json()
    sheet_id = r.get_json()["id"]
    caw = org_id(world, "CAW Gent")
    r = chair.post(f"/api/v1/meetings/{mid}/decisions", json={
        "case_id": str(case.id), "decision": "start_programme", "text": "Guidance starts.",
        "coordinator_organisation_id": caw,
        "actions": [{"organisation_id": caw, "description": "Plan the intake",
                     "due": "2030-01-31"}]})
    assert r.status_code == 201, r.get_json()
    action_id = world.login("owner_cw").get("/api/v1/actions").get_json()["items"][0]["id"]
    referral_id = str(dbs.scalar(select(Referral.id).where(Referral.case_id == case.id)))
    dbs.rollback()
    return {"case": str(case.id), "note": note_id, "referral": referral_id, "meeting": mid,
            "sheet": sheet_id, "action": action_id, "disclosure": disclosure_id}


ROUTES = {
    "case": ("GET", "/api/v1/cases/{}"),
    "note": ("GET", "/api/v1/notes/{}"),
    "referral": ("GET", "/api/v1/referrals/{}"),
    "meeting": ("GET", "/api/v1/meetings/{}"),
    "sheet": ("GET", "/api/v1/feedback-sheets/{}"),
    "action": ("POST", "/api/v1/actions/{}/done"),
    "disclosure": ("DELETE", "/api/v1/disclosures/{}"),
}


def _call(api: Any, kind: str, object_id: str) -> Any:
    method, url = ROUTES[kind]
    send = {"GET": api.get, "POST": api.post, "DELETE": api.delete}[method]
    return send(url.format(object_id))


def _denials(dbs: Any, object_id: str) -> int:
    n = dbs.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_id == object_id, AuditEvent.outcome == "denied")) or 0
    dbs.rollback()
    return int(n)


@pytest.mark.parametrize("kind", sorted(ROUTES))
def test_a_missing_id_is_answered_like_an_unrelated_one(world, dbs, kind):
    ids = _world(world, dbs)
    stranger = world.login("elsewhere_rp")
    missing = str(uuid.uuid4())
    _call(stranger, kind, str(uuid.uuid4()))  # warm up: first-request work is not compared

    with _statements(world.app) as unrelated_work:
        unrelated = _call(stranger, kind, ids[kind])
    with _statements(world.app) as missing_work:
        absent = _call(stranger, kind, missing)

    assert (unrelated.status_code, absent.status_code) == (404, 404)
    assert unrelated.get_json() == absent.get_json()
    assert missing_work == unrelated_work
    # Both probes are on the ledger as denials.
    assert _denials(dbs, ids[kind]) >= 1
    assert _denials(dbs, missing) == 1
