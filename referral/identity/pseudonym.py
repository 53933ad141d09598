"""Pseudonyms: a keyed HMAC-SHA256 of the normalised identity.

The same person registered by two organisations must get the same pseudonym
(that is how a match is found without revealing who), so normalisation folds
away what differs between two clerks typing the same name: case, accents,
spacing.  Without the key a pseudonym cannot be recomputed from a guessed
identity, which a plain hash of a national number (a small space) would allow.
"""

from __future__ import annotations

import base64
import unicodedata
from datetime import date

from cryptography.hazmat.primitives import hashes, hmac
from flask import Flask

from referral.identity.encoding import decode_key
from referral.identity.national_number import NationalNumber, parse_national_number

MIN_KEY_BYTES = 32
_CODE_BYTES = 10  # 80 bits: 16 base32 characters, collisions negligible at any LIVC's scale
_EXTENSION = "referral.pseudonym_key"

# Unit separator: str.split() treats it as whitespace, so it is gone from every
# normalised field and cannot fake a field boundary.
_SEP = "\x1f"
# Different kind prefixes: a name identity can never hash like a national number.
_NAME_KIND = "name-v1"
_NUMBER_KIND = "nrn-v1"


def _normalise_text(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.casefold())
    # Drop accents (combining marks) and control or invisible characters (soft
    # hyphen, zero-width joiner) that a copy-paste adds and a reader cannot see;
    # whitespace of any kind survives here and is collapsed below.
    kept = "".join(ch for ch in folded if ch.isspace() or not _invisible_or_mark(ch))
    return " ".join(kept.split())


def _invisible_or_mark(ch: str) -> bool:
    return bool(unicodedata.combining(ch)) or unicodedata.category(ch) in {"Cc", "Cf"}


def normalise_names(family_name: str, given_names: str, birth_date: date) -> bytes:
    """``Émile  Dupont`` and ``emile dupont`` normalise alike."""
    fields = (_NAME_KIND, _normalise_text(family_name), _normalise_text(given_names),
              birth_date.isoformat())
    return _SEP.join(fields).encode("utf-8")


def normalise_national_number(nn: NationalNumber | str) -> bytes:
    """A parsed number, or a string that is parsed (and so validated) first."""
    parsed = nn if isinstance(nn, NationalNumber) else parse_national_number(nn)
    return _SEP.join((_NUMBER_KIND, parsed.digits)).encode("ascii")


def pseudonym(key: bytes, normalised: bytes) -> str:
    """A short readable code such as ``K7QF-3MZA-P2XD-9LNB`` (base32, groups of 4)."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes")
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(normalised)
    code = base64.b32encode(mac.finalize()[:_CODE_BYTES]).decode("ascii").rstrip("=")
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def pseudonym_key_from_config(value: str) -> bytes:
    """Decode ``PSEUDONYM_KEY`` (urlsafe base64 of at least 32 bytes)."""
    if not value:
        raise ValueError("REFERRAL_PSEUDONYM_KEY is not configured")
    return decode_key(value, what="REFERRAL_PSEUDONYM_KEY", min_length=MIN_KEY_BYTES)


def pseudonym_key_for(app: Flask) -> bytes:
    """The app's pseudonym key, decoded once."""
    key: bytes | None = app.extensions.get(_EXTENSION)
    if key is None:
        key = pseudonym_key_from_config(app.config["PSEUDONYM_KEY"])
        app.extensions[_EXTENSION] = key
    return key
