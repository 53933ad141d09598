"""Helpers of the tamper-detection tests: record events, sign, verify, and tamper with the
database as its owner (append-only triggers switched off)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, text, update

from referral.audit import checkpoints, verify
from referral.audit.models import AuditCheckpoint
from referral.core import clock
from referral.core.ledger import chain
from referral.core.ledger.chain import chain_hash
from referral.core.ledger.models import AuditEvent, AuditHead

# -- helpers ------------------------------------------------------------------------------------


def db(app: Any) -> Any:
    return app.extensions["referral.db"]


def record(app: Any, n: int, *, step: timedelta = timedelta(seconds=1), **fields: Any) -> None:
    """``n`` events, one transaction each, the clock moving on between them."""
    for i in range(n):
        with db(app).sessionmaker() as s:
            chain.record(s, None, fields.get("action", "test:event"), object_type="test",
                         object_id=i, purpose=fields.get("purpose", f"event {i}"))
            s.commit()
        clock.advance(step)


def checkpoint(app: Any) -> AuditCheckpoint:
    with db(app).sessionmaker() as s:
        cp = checkpoints.create_checkpoint(s, app.config)
        s.commit()
    return cp


def verify_app(app: Any, from_seq: int = 1, workers: int = 1) -> verify.VerifyResult:
    with db(app).sessionmaker() as s:
        result = verify.verify_chain(s, from_seq, workers=workers,
                                     public_keys=checkpoints.known_public_keys(app.config))
        s.rollback()
    return result


def events(app: Any) -> list[Any]:
    with db(app).sessionmaker() as s:
        rows = list(s.execute(select(*AuditEvent.__table__.c).order_by(AuditEvent.seq)))
        s.rollback()
    return rows


def disable_triggers(conn: Any) -> None:
    if conn.dialect.name == "postgresql":
        for table in ("audit_events", "audit_checkpoints"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for table in ("audit_events", "audit_checkpoints"):
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))


def tamper(app: Any, *statements: Any) -> None:
    """Run statements as the database owner, the append-only triggers switched off."""
    with db(app).engine.begin() as conn:
        disable_triggers(conn)
        for statement in statements:
            conn.execute(text(statement) if isinstance(statement, str) else statement)


def set_event(seq: int, **values: Any) -> Any:
    return update(AuditEvent.__table__).where(AuditEvent.__table__.c.seq == seq).values(**values)


def set_head(seq: int, digest: bytes) -> Any:
    return update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1).values(
        seq=seq, hash=digest)


def rechain(rows: list[tuple[int, dict[str, Any]]], start_prev: bytes) -> list[dict[str, Any]]:
    """What an attacker writes to make rewritten rows link again (new seq order)."""
    out, prev = [], start_prev
    for seq, row in rows:
        values = {k: v for k, v in row.items() if k != "seq"}
        values["prev_hash"] = prev
        values["hash"] = prev = chain_hash(prev, seq, row["at"], SimpleNamespace(**row))
        out.append({"seq": seq, **values})
    return out


def expect_fail(app: Any, seq: int, reason: str, workers: int = 1) -> None:
    result = verify_app(app, workers=workers)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, seq, reason), result


