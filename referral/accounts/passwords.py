"""Password hashing (argon2id) and the NIST SP 800-63B rules: length, not composition."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")


@cache
def _common() -> frozenset[str]:
    text = resources.files("referral").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def problems(password: str, username: str | None = None) -> list[str]:
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        found.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common():
        found.append("This password is too common; choose another.")
    elif username and username.lower() in lowered:
        found.append("The password must not contain the username.")
    return found


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
