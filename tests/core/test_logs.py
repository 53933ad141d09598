"""Structured logs: JSON lines with time, level, logger, the request id and the actor --
and never the national numbers, names or note texts a scenario used."""

from __future__ import annotations

import io
import json
import logging

from sqlalchemy import update

from referral.accounts.models import User
from referral.core import logs
from tests.factories import build, note

NATIONAL_NUMBER = "85073003328"
SECRET_NOTE = "Says he will travel to join the group in March"


def _capture():
    stream = io.StringIO()
    handler = logs.handler("json")
    handler.setStream(stream)
    logger = logging.getLogger("referral")
    logger.addHandler(handler)
    return stream, handler, logger


def test_a_full_scenario_logs_json_with_request_ids_and_no_personal_data(world, app):
    stream, handler, logger = _capture()
    try:
        build(world)
        with world.session() as s:
            s.execute(update(User).where(User.username == "member_rp")
                      .values(email="member@cgg.example"))
            s.commit()
        owner = world.login("owner_rp")
        # Delivery to a relay that does not answer: a warning in the middle of a request.
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
        r = owner.post("/api/v1/cases", json={
            "livc_id": str(world.livc.id), "context": "community", "consent": "given",
            "identity": {"national_number": NATIONAL_NUMBER}})
        assert r.status_code == 201, r.get_json()
        case_id = r.get_json()["id"]
        note(owner, case_id, SECRET_NOTE)
        r = owner.post(f"/api/v1/cases/{case_id}/referrals", json={
            "to_organisation_id": str(world.orgs["CGG Gent"].id), "kind": "service",
            "sphere_of_life": "trauma", "purpose": "counselling for Jan Peeters"})
        assert r.status_code == 201, r.get_json()
        owner.post("/api/v1/cases", json={"livc_id": "nope", "identity": {
            "family_name": "Peeters", "given_names": "Jan", "birth_date": "2001-02-03"}})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for secret in (NATIONAL_NUMBER, SECRET_NOTE, "Peeters", "counselling for"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines, "the scenario should have logged the deferred delivery"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
    in_request = [line for line in lines if line.get("request_id")]
    assert in_request
    assert all(line["actor_id"] for line in in_request)
