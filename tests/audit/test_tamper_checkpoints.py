"""Tampering behind the application's back: the append-only triggers, the signed
checkpoints and the command line.

The attacker here has the database owner's rights: they switch the append-only
triggers off, then change, delete, insert, reorder or truncate rows.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from referral.audit import checkpoints
from referral.core.ledger.chain import GENESIS_HASH
from tests.audit.chain_support import (
    checkpoint,
    db,
    events,
    expect_fail,
    record,
    set_event,
    tamper,
    verify_app,
)

WORKERS = pytest.mark.parametrize("workers", [1, 3], ids=["one-stream", "three-ranges"])


# -- the append-only triggers -------------------------------------------------------------------


def test_postgresql_triggers_block_update_delete_and_truncate(app):
    if db(app).dialect != "postgresql":
        pytest.skip("TRUNCATE triggers are PostgreSQL's; SQLite has no TRUNCATE")
    record(app, 2)
    checkpoint(app)
    for table in ("audit_events", "audit_checkpoints"):
        for sql in (f"UPDATE {table} SET seq = seq", f"DELETE FROM {table}",  # noqa: S608
                    f"TRUNCATE {table}"):
            with pytest.raises(DatabaseError, match="append-only"), \
                    db(app).engine.begin() as conn:
                conn.execute(text(sql))
    assert len(events(app)) == 3
    assert verify_app(app).ok


def test_sqlite_and_postgresql_triggers_block_checkpoint_changes(app):
    record(app, 1)
    checkpoint(app)
    for sql in ("UPDATE audit_checkpoints SET seq = 0", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DatabaseError), db(app).engine.begin() as conn:
            conn.execute(text(sql))


# -- checkpoints --------------------------------------------------------------------------------


def test_a_checkpoint_signs_the_head_and_is_itself_audited(app):
    record(app, 3)
    cp = checkpoint(app)
    assert (cp.seq, cp.hash) == (3, events(app)[2].hash)
    assert events(app)[-1].action == "audit:checkpoint"
    key = checkpoints.signing_key_from_config(app.config["AUDIT_SIGNING_KEY"])
    assert checkpoints.verify_checkpoint_signature(cp, key.public_key())
    other = checkpoints.signing_key_from_config(base64.urlsafe_b64encode(b"o" * 32).decode())
    assert not checkpoints.verify_checkpoint_signature(cp, other.public_key())
    assert checkpoints.public_key_id(key.public_key()) == cp.public_key_id
    assert len(cp.public_key_id) == 16


def test_an_exported_checkpoint_verifies_with_nothing_but_the_export(app):
    record(app, 2)
    cp = checkpoint(app)
    key = checkpoints.signing_key_from_config(app.config["AUDIT_SIGNING_KEY"]).public_key()
    doc = json.loads(json.dumps(checkpoints.export_checkpoint(cp, key)))
    assert doc["algorithm"] == "Ed25519"
    assert doc["message"] == (f"livc-audit-checkpoint|v1|{doc['seq']}|{doc['hash']}|"
                              f"{doc['at']}")
    pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["public_key"]))
    pub.verify(base64.b64decode(doc["signature"]), doc["message"].encode())  # raises if bad


def test_the_genesis_checkpoint_verifies(app):
    cp = checkpoint(app)
    assert (cp.seq, cp.hash) == (0, GENESIS_HASH)
    assert verify_app(app).ok


def test_a_signing_key_must_be_32_bytes():
    with pytest.raises(ValueError, match="32 raw bytes"):
        checkpoints.signing_key_from_config(base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        checkpoints.signing_key_from_config("not base64 at all!")


def test_retired_public_keys_still_verify(app):
    record(app, 1)
    checkpoint(app)
    old_pub = checkpoints.signing_key_from_config(app.config["AUDIT_SIGNING_KEY"]).public_key()
    app.config["AUDIT_SIGNING_KEY"] = base64.urlsafe_b64encode(b"n" * 32).decode()
    expect_fail(app, 1, "checkpoint signed by an unknown key")
    app.config["AUDIT_PREVIOUS_PUBLIC_KEYS"] = base64.b64encode(
        checkpoints.raw_public_key(old_pub)).decode()
    assert verify_app(app).ok


# -- the command line ---------------------------------------------------------------------------


def test_cli_verify_exit_codes(app):
    runner = app.test_cli_runner()
    record(app, 4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "ok: 4 events verified, head seq 4" in result.output
    assert "events/s" in result.output
    result = runner.invoke(args=["audit", "verify", "--from", "3"])
    assert result.exit_code == 0
    assert "ok: 2 events verified" in result.output
    tamper(app, set_event(2, purpose="changed"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "FAIL at seq 2: hash mismatch" in result.output
    assert runner.invoke(args=["audit", "verify", "--from", "99"]).exit_code == 2
    assert runner.invoke(args=["audit", "verify", "--from", "0"]).exit_code == 2


def test_cli_checkpoint_and_export(app, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "export-checkpoint"]).exit_code == 1  # none yet
    record(app, 2)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["seq"] == 2
    record(app, 1)
    runner.invoke(args=["audit", "checkpoint"])
    out = tmp_path / "cp.json"
    result = runner.invoke(args=["audit", "export-checkpoint", "--latest", "-o", str(out)])
    assert result.exit_code == 0, result.output
    latest = json.loads(out.read_text())
    assert latest["seq"] == 4  # 2 events, the first checkpoint's event, 1 more
    all_cps = json.loads(runner.invoke(args=["audit", "export-checkpoint"]).output)
    assert [c["seq"] for c in all_cps] == [2, 4]
    assert all_cps[0] == created
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
