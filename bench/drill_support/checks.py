"""The drills' verdicts and the checks several drills share: named assertions
(:class:`Checks`), the database's state before a drill (:func:`snapshot`), the audit
chain verified by ``flask audit verify`` or in process (:func:`verify_audit`), and every
encrypted value opened with given master keys (:func:`decrypt_all`).  The consistency
check of the database after a drill is in ``consistency``.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.drill_support.target import Target


@dataclass
class Checks:
    """Named assertions and figures; a drill passes when every check holds."""

    results: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        self.results[name] = bool(ok)
        if not ok:
            self.failures.append(f"{name}: {detail}" if detail != "" else name)
        return bool(ok)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Snapshot:
    head_seq: int
    history_ids: set[str]
    note_ids: set[str]
    case_ids: set[str]


def snapshot(target: Target) -> Snapshot:
    from sqlalchemy import text

    engine = target.engine()
    try:
        with engine.connect() as conn:
            head = conn.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one()
            hist = {uuid_text(r[0])
                    for r in conn.execute(text("SELECT id FROM transition_history"))}
            notes = {uuid_text(r[0]) for r in conn.execute(text("SELECT id FROM notes"))}
            cases = {uuid_text(r[0]) for r in conn.execute(text("SELECT id FROM cases"))}
    finally:
        engine.dispose()
    return Snapshot(int(head), hist, notes, cases)


def uuid_text(value: Any) -> str:
    """A UUID as text whatever the driver returns (SQLite stores 32 hex digits)."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def verify_audit(target: Target, checks: Checks, cli: bool = True,
                 env: dict[str, str] | None = None) -> dict[str, Any]:
    """``flask --app wsgi audit verify`` (exit code 0), or the same function in process."""
    if cli:
        t0 = time.monotonic()
        proc = target.flask("audit", "verify", env=env, check=False)
        out = proc.stdout.strip().splitlines()
        checks.check("flask audit verify exits 0", proc.returncode == 0,
                     f"exit {proc.returncode}: {out[:1]} {proc.stderr[-300:]}")
        return {"exit_code": proc.returncode, "output": out[0] if out else "",
                "seconds": round(time.monotonic() - t0, 2)}
    from referral.audit.checkpoints import known_public_keys
    from referral.audit.verify import verify_chain

    app = target.app()
    s = app.extensions["referral.db"].sessionmaker()
    try:
        result = verify_chain(s, public_keys=known_public_keys(app.config))
    finally:
        s.close()
        app.extensions["referral.db"].dispose()
    checks.check("audit chain verifies", result.ok, result)
    return {"ok": result.ok, "checked": result.checked, "head_seq": result.head_seq}


def decrypt_all(url: str, master_keys: str, active: str | None) -> dict[str, Any]:
    """Open every encrypted value with the given master keys: identities, notes, decisions,
    feedback sheets, minutes and TOTP secrets, each with its row's data key."""
    from sqlalchemy import text

    from referral.core.db import make_engine
    from referral.identity.vault import KeyRing, decrypt_field

    ring = KeyRing.parse(master_keys, active)
    sources = (
        ("subjects", "identity", "SELECT s.id, s.identity_ciphertext, c.data_key_id FROM "
         "subjects s JOIN cases c ON c.subject_id = s.id WHERE s.identity_ciphertext IS NOT "
         "NULL"),
        ("notes", "body", "SELECT n.id, n.body_ciphertext, c.data_key_id FROM notes n JOIN "
         "cases c ON c.id = n.case_id WHERE n.body_ciphertext IS NOT NULL"),
        ("decisions", "text", "SELECT d.id, d.text_ciphertext, c.data_key_id FROM decisions d "
         "JOIN cases c ON c.id = d.case_id WHERE d.text_ciphertext IS NOT NULL"),
        ("feedback_sheets", "text", "SELECT f.id, f.text_ciphertext, c.data_key_id FROM "
         "feedback_sheets f JOIN cases c ON c.id = f.case_id WHERE f.text_ciphertext IS NOT "
         "NULL"),
        ("meetings", "minutes", "SELECT id, minutes_ciphertext, data_key_id FROM meetings "
         "WHERE minutes_ciphertext IS NOT NULL"),
        ("users", "totp_secret_encrypted", "SELECT id, totp_secret_encrypted, "
         "totp_data_key_id FROM users WHERE totp_secret_encrypted IS NOT NULL"),
        ("users", "totp_pending_encrypted", "SELECT id, totp_pending_encrypted, "
         "totp_data_key_id FROM users WHERE totp_pending_encrypted IS NOT NULL"),
    )
    engine = make_engine(url)
    opened: dict[str, int] = {}
    failed: list[str] = []
    try:
        with engine.connect() as conn:
            keys = {uuid_text(k): (bytes(w), m) for k, w, m in conn.execute(text(
                "SELECT id, wrapped_key, master_key_id FROM data_keys "
                "WHERE wrapped_key IS NOT NULL"))}
            by_master = Counter(m for _w, m in keys.values())
            plain: dict[str, bytes] = {}
            for table, column, sql in sources:
                n = 0
                for row_id, blob, key_id in conn.execute(text(sql)):
                    kid = uuid_text(key_id)
                    try:
                        if kid not in plain:
                            wrapped, master = keys[kid]
                            plain[kid] = ring.unwrap(wrapped, master)
                        decrypt_field(plain[kid], bytes(blob), table=table, column=column,
                                      row_id=uuid.UUID(uuid_text(row_id)))
                        n += 1
                    except Exception as exc:  # every failure is a finding, not a crash
                        if len(failed) < 5:
                            failed.append(f"{table}.{column} {row_id}: {type(exc).__name__}")
                        else:
                            failed.append("")
                opened[f"{table}.{column}"] = n
    finally:
        engine.dispose()
    return {"opened": opened, "opened_total": sum(opened.values()), "failed": len(failed),
            "failures": [f for f in failed if f][:5], "data_keys_by_master": dict(by_master)}
