"""The benchmark's bulk seeder (``flask bench seed``) and its bare baseline endpoint."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench.app import create_bench_app
from bench.seed import bench_cli, seed
from referral.audit.verify import verify_chain
from referral.cases.models import Case
from referral.cases.notes.models import Note
from referral.cases.referrals.models import Referral
from referral.core.ledger.models import AuditEvent, AuditHead
from tests.conftest import TEST_SECRETS


def _bearer(plan: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plan['users'][who]['token']}"}


def _verify(app: Flask) -> Any:
    s = app.extensions["referral.db"].sessionmaker()
    try:
        return verify_chain(s, public_keys={})
    finally:
        s.close()


@pytest.fixture
def bench_app(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the same database, with REFERRAL_BENCH on."""
    application = create_bench_app({"DATABASE_URL": database_url, "ENV": "development",
                                    "TESTING": True, "BENCH": True, **TEST_SECRETS})
    application.instance_path = str(tmp_path / "bench-instance")
    yield application
    application.extensions["referral.db"].dispose()


def test_seed_chains_the_log_and_its_tokens_work(app: Flask, bench_app: Flask) -> None:
    plan = seed(app, cases=30, events=400, offered=20)

    s = app.extensions["referral.db"].sessionmaker()
    try:
        assert s.scalar(select(func.count()).select_from(Case)) == 30
        assert s.scalar(select(func.count()).select_from(Referral)) == 20
        assert s.scalar(select(func.count()).select_from(Note)) == 40  # 2 for every 3rd case
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 400
        head = s.get(AuditHead, 1)
        assert head is not None
        assert head.seq == 400
        assert head.hash.hex() == plan["audit_head"]["hash"]
    finally:
        s.close()
    result = _verify(app)
    assert result.ok, result
    assert result.checked == 400

    client = app.test_client()
    me = client.get("/api/v1/me", headers=_bearer(plan, "owner"))
    assert me.status_code == 200, me.get_json()
    assert me.get_json()["username"] == "bench_owner"
    # The real operations work on seeded data and continue the chain.
    case_id = plan["case_ids"][0]
    assert client.get(f"/api/v1/cases/{case_id}", headers=_bearer(plan, "owner")).status_code == 200
    note = client.post(f"/api/v1/cases/{case_id}/notes", headers=_bearer(plan, "owner"),
                       json={"body": "bench note", "compartment": "internal"})
    assert note.status_code == 201, note.get_json()
    notes = client.get(f"/api/v1/cases/{case_id}/notes", headers=_bearer(plan, "owner"))
    assert notes.status_code == 200
    assert len(notes.get_json()) >= 1  # seeded bodies decrypt with the app's key ring
    tid = plan["transition_case_ids"][0]
    moved = client.post(f"/api/v1/cases/{tid}/transitions", headers=_bearer(plan, "owner"),
                        json={"trigger": "suspend", "version": 1, "reason": "bench"})
    assert moved.status_code == 200, moved.get_json()
    back = client.post(f"/api/v1/cases/{tid}/transitions", headers=_bearer(plan, "owner"),
                       json={"trigger": "resume", "version": moved.get_json()["version"]})
    assert back.get_json()["state"] == "internal_follow_up"
    accepted = client.post(f"/api/v1/referrals/{plan['offered_referral_ids'][0]}/transitions",
                           headers=_bearer(plan, "partner"),
                           json={"trigger": "accept", "version": 1})
    assert accepted.status_code == 200, accepted.get_json()
    found = client.get(f"/api/v1/audit/events?case_id={case_id}",
                       headers=_bearer(plan, "auditor"))
    assert found.status_code == 200
    assert found.get_json()["total"] >= 2
    result = _verify(app)
    assert result.ok, result
    assert result.checked > 400

    # The bare baseline exists only under REFERRAL_BENCH, and takes a bearer token only.
    assert client.post("/bench/insert", headers=_bearer(plan, "owner")).status_code == 404
    bench_client = bench_app.test_client()
    r = bench_client.post("/bench/insert", headers=_bearer(plan, "owner"))
    assert r.status_code == 201, r.get_json()
    # Anonymous: refused before the view (CSRF outside /api/, then 401 from the route).
    anonymous = bench_client.post("/bench/insert", headers={"Accept": "application/json"})
    assert anonymous.status_code in {401, 403}


def test_seed_command_needs_bench_mode_and_an_empty_database(app: Flask, tmp_path: Path
                                                             ) -> None:
    out = tmp_path / "out" / "plan.json"
    app.cli.add_command(bench_cli)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["bench", "seed", "--cases", "5", "--events", "20",
                                  "--out", str(out)])
    assert refused.exit_code == 2
    assert "REFERRAL_BENCH" in refused.output
    app.config["BENCH"] = True
    done = runner.invoke(args=["bench", "seed", "--cases", "5", "--events", "20",
                               "--offered", "3", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds bearer tokens
    plan = json.loads(out.read_text())
    assert set(plan["users"]) == {"owner", "partner", "auditor"}
    assert _verify(app).ok
    again = runner.invoke(args=["bench", "seed", "--cases", "5", "--out", str(out)])
    assert again.exit_code == 2
    assert "empty database" in again.output
