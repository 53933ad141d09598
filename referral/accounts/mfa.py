"""The second factor: TOTP (RFC 6238) with single-use recovery codes.

- The TOTP secret is never stored in clear: it is sealed with AES-GCM under a data
  key of the user's own (a ``data_keys`` row wrapped by the master key ring, so
  ``flask keys rotate`` re-wraps it with the case keys), bound to
  ``users.<column>.<user id>`` (a blob copied to another row fails to open).
- A code is accepted in its own 30-second step (and in the first ``GRACE_SECONDS``
  of the next one, for the typing delay), and only once: the last accepted step is
  stored and older or equal steps are refused.
- Ten recovery codes (about 50 bits each), each usable once, stored as argon2id
  hashes; they are shown once, when made.
- Enrolment keeps the new secret apart (``totp_pending_encrypted``) until a first
  code confirms it, so an unfinished enrolment never replaces a working factor.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import datetime

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.accounts import passwords, sessions
from referral.accounts.lockout import refuse_if_locked, register_failure
from referral.accounts.models import RecoveryCode, User
from referral.core import clock, errors
from referral.core.ledger import chain
from referral.identity.errors import DecryptionError
from referral.identity.keys import create_data_key, destroy_data_key, load_data_key, ring_for
from referral.identity.models import DataKey
from referral.identity.vault import decrypt_field, encrypt_field

ISSUER = "LIVC referral"
RECOVERY_CODE_COUNT = 10
GRACE_SECONDS = 5
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/i/l: read aloud, typed by hand
# argon2id at the OWASP minimum (19 MiB, 2 passes): ten of them per enrolment stay fast.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


# --- the secret at rest ---------------------------------------------------------------

def _data_key(s: Session, user: User) -> bytes:
    """The user's data key: in ``data_keys`` like a case's, so ``keys rotate`` re-wraps it."""
    ring = ring_for(current_app)
    if user.totp_data_key_id is None:
        row, plaintext = create_data_key(s, ring)
        user.totp_data_key_id = row.id
        return plaintext
    return load_data_key(s, ring, user.totp_data_key_id)


def seal(s: Session, user: User, column: str, secret: str) -> bytes:
    """AES-GCM under the user's data key, bound to ``users.<column>.<user id>``."""
    return encrypt_field(_data_key(s, user), secret, table="users", column=column,
                         row_id=user.id)


def unseal(s: Session, user: User, column: str) -> str:
    blob = getattr(user, column)
    if blob is None or user.totp_data_key_id is None:
        raise DecryptionError(f"users.{column} holds no secret")
    return decrypt_field(_data_key(s, user), blob, table="users", column=column,
                         row_id=user.id)


def pending_secret(s: Session, user: User) -> str | None:
    if user.totp_pending_encrypted is None:
        return None
    return unseal(s, user, "totp_pending_encrypted")


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a ``data:`` URI (rendered here, no service)."""
    data_uri: str = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return data_uri


# --- codes ----------------------------------------------------------------------------

def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code this is: the current one or, within the first
    ``GRACE_SECONDS`` of a step, the previous one (typed as the step turned over).
    A code from a future step is never accepted."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    steps = [now_step]
    if at.timestamp() % totp.interval < GRACE_SECONDS:
        steps.append(now_step - 1)
    for step in steps:
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, secret: str, code: str) -> bool:
    step = _matching_step(secret, code, clock.now())
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _accept_recovery_code(s: Session, user: User, code: str) -> bool:
    rows = s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                RecoveryCode.used_at.is_(None)))
    for row in rows:
        try:
            _code_hasher.verify(row.code_hash, code)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        row.used_at = clock.now()
        return True
    return False


def verify(s: Session, user: User, code: str) -> str | None:
    """The factor a code proves (``totp`` or ``recovery_code``), or None; marks it used."""
    if user.mfa_enrolled_at is None or user.totp_secret_encrypted is None:
        return None
    normal = _normalise(code)
    if len(normal) == 6 and normal.isdigit():
        secret = unseal(s, user, "totp_secret_encrypted")
        return "totp" if _accept_totp(user, secret, normal) else None
    if len(normal) == 10:
        return "recovery_code" if _accept_recovery_code(s, user, normal) else None
    return None


def check_second_factor(s: Session, user: User, code: str | None, action: str) -> str:
    """The factor used, or 401 ``mfa_required`` (counted towards the lockout) or 429."""
    refuse_if_locked(s, user, action)
    factor = verify(s, user, code) if code else None
    if factor is None:
        register_failure(s, user, action, "otp_invalid")
        raise errors.Unauthorized("The code is wrong, expired or was used already.",
                                  mfa_required=True)
    if factor == "recovery_code":
        left = recovery_codes_left(s, user)
        chain.record(s, sessions.actor_for(user), "mfa:recovery_code_used", object_type="user",
                     object_id=user.id, purpose=f"{left} left")
    return factor


def reauthenticate(s: Session, user: User, password: str | None, *, pending: bool,
                   action: str) -> None:
    """Before a change to the factors: the password again (unless this is the pending
    session that just gave it), counted towards the lockout like a login."""
    if pending:
        return
    if not password:
        raise errors.field_error("password", "Enter your password to change your second "
                                             "factor.")
    refuse_if_locked(s, user, action)
    if not passwords.verify(user.password_hash, password):
        register_failure(s, user, action, "bad_credentials")
        raise errors.field_error("password", "This is not your password.")


def recovery_codes_left(s: Session, user: User) -> int:
    return s.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def new_recovery_codes(s: Session, actor: Actor, user: User) -> list[str]:
    """Replace the user's recovery codes by ten new ones; the plain codes are returned once."""
    s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        s.add(RecoveryCode(user_id=user.id, code_hash=_code_hasher.hash(raw)))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    chain.record(s, actor, "mfa:recovery_codes", object_type="user", object_id=user.id)
    return codes


# --- enrolment ------------------------------------------------------------------------

def begin_enrolment(s: Session, actor: Actor, user: User) -> str:
    """A new secret, kept apart until confirmed; returns it (shown to the user once)."""
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    user.totp_pending_encrypted = seal(s, user, "totp_pending_encrypted", secret)
    chain.record(s, actor, "mfa:enrol_start", object_type="user", object_id=user.id)
    return secret


def confirm_enrolment(s: Session, actor: Actor, user: User, code: str,
                      keep_session_id: uuid.UUID | None) -> list[str]:
    """A first code turns the pending secret into the active factor: new recovery codes,
    and every other session of the user ends (the factor changed)."""
    secret = pending_secret(s, user)
    if secret is None:
        raise errors.Conflict("No enrolment was started; POST /api/v1/auth/mfa/enrol first.")
    step = _matching_step(secret, _normalise(code), clock.now())
    if step is None:
        raise errors.field_error("otp", "This code does not match; check the clock of your "
                                        "device and enter the current code.")
    user.totp_secret_encrypted = seal(s, user, "totp_secret_encrypted", secret)
    user.totp_pending_encrypted = None
    user.totp_last_step = step
    user.mfa_enrolled_at = clock.now()
    sessions.end_sessions_of(user.id, "mfa_changed", except_id=keep_session_id)
    chain.record(s, actor, "mfa:enrol", object_type="user", object_id=user.id)
    return new_recovery_codes(s, actor, user)


def reset(s: Session, actor: Actor, user: User) -> None:
    """Administrator: remove the factor (lost device and codes); the user enrols again.
    The data key is destroyed: a copy of the old ciphertext (a backup) opens no more."""
    if user.totp_data_key_id is not None:
        key = s.get(DataKey, user.totp_data_key_id)
        if key is not None:
            destroy_data_key(key)
        user.totp_data_key_id = None
    user.totp_secret_encrypted = None
    user.totp_pending_encrypted = None
    user.totp_last_step = None
    user.mfa_enrolled_at = None
    s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    chain.record(s, actor, "mfa:reset", object_type="user", object_id=user.id)
