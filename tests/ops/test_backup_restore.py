"""Drill: pg_dump, restore into a new database, the chain verifies and every value decrypts."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from referral import create_app
from referral.audit.checkpoints import known_public_keys
from referral.audit.verify import verify_chain
from tests.conftest import TEST_SECRETS, _pg_admin_url, _pg_execute
from tests.factories import build


def test_dump_and_restore_keep_chain_and_ciphertexts(world, app, database_url):
    if app.extensions["referral.db"].dialect != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("a PostgreSQL drill (pg_dump/pg_restore)")
    case = build(world)
    app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    owner = world.login("owner_rp")
    r = owner.post("/api/v1/cases", json={"livc_id": str(world.livc.id), "identity": {
        "family_name": "Claes", "given_names": "Ruben", "birth_date": "1995-06-07"}})
    new_case = r.get_json()["id"]
    owner.post(f"/api/v1/cases/{case.id}/notes", json={"body": "Before the backup.",
                                                       "compartment": "internal"})
    dump = subprocess.run(["pg_dump", "--format=custom", "--no-owner", database_url],
                          capture_output=True, check=True).stdout
    restored = f"lr_restore_{uuid.uuid4().hex[:8]}"
    _pg_execute(f"CREATE DATABASE {restored}")
    try:
        url = _pg_admin_url(restored)
        subprocess.run(["pg_restore", "--no-owner", "--dbname", url], input=dump,
                       capture_output=True, check=True)
        copy = create_app({"DATABASE_URL": url, "ENV": "development", **TEST_SECRETS})
        maker = copy.extensions["referral.db"].sessionmaker
        with maker() as s:
            result = verify_chain(s, public_keys=known_public_keys(copy.config))
            assert result.ok, result
            assert result.checked == result.head_seq >= 4  # login, create, note, checkpoint
        client = copy.test_client()
        r = client.post("/api/v1/auth/login", json={"username": "owner_rp",
                                                    "password": "correct horse battery"})
        headers = {"X-CSRF-Token": r.get_json()["csrf_token"]}
        notes = client.get(f"/api/v1/cases/{case.id}/notes").get_json()
        assert [n["body"] for n in notes] == ["Before the backup."]
        r = client.post(f"/api/v1/cases/{new_case}/reidentify",
                        json={"reason": "after restore"}, headers=headers)
        assert r.get_json()["identity"]["family_name"] == "Claes"
        with maker() as s:  # the restored chain goes on: reads after restore were appended
            assert verify_chain(s, public_keys=known_public_keys(copy.config)).checked > \
                result.checked
        copy.extensions["referral.db"].dispose()
    finally:
        _pg_execute(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
