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
    """The 30,000 passwords most frequent in breach corpora (zxcvbn's list, offline: no
    password or hash prefix leaves the server) and our own list of Dutch and local ones."""
    # 1 MB of lists, loaded on first use rather than at every start-up (CLI, workers).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 - start-up cost

    text = resources.files("referral").joinpath("data/common-passwords.txt").read_text()
    own = (line.strip().lower() for line in text.splitlines() if line.strip())
    return frozenset(own) | frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


# Words of this service and its partners (ASVS 6.1.2): a password that is little more than
# these (with digits and punctuation) is easy to guess.  The caller adds the user's own
# organisation, display name and username.
CONTEXT_WORDS = frozenset({
    "livc", "livcr", "referral", "referrals", "verwijzing", "veiligheid", "veiligheidscel",
    "caw", "vdab", "justitiehuis", "justitie", "politie", "police", "opgroeien", "welzijn",
    "ocmw", "cgg", "gent", "gemeente", "stad", "case", "casus", "wachtwoord", "password",
    "welkom", "welcome", "admin", "auditor", "demo",
})
MIN_OWN_CHARACTERS = 8


def _words(texts: tuple[str, ...]) -> set[str]:
    found = set(CONTEXT_WORDS)
    for text in texts:
        found |= {w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()
                  if len(w) >= 3}
    return found


def _leans_on_context(password: str, context: tuple[str, ...]) -> bool:
    """Fewer than MIN_OWN_CHARACTERS letters and digits are left without the context words
    (a rule on what the password is made of would go against ASVS 6.2.5; this is not one)."""
    rest = "".join(c for c in password.lower() if c.isalnum())
    for word in sorted(_words(context), key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(rest) < MIN_OWN_CHARACTERS


def problems(password: str, username: str | None = None, context: tuple[str, ...] = ()
             ) -> list[str]:
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
    elif len(password) >= MIN_LENGTH and _leans_on_context(password, context):
        found.append("The password is mostly names of this service or your organisation; "
                     "choose words of your own.")
    return found


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
