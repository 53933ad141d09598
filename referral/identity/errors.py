"""Errors of the identity feature.

Messages never quote the offending input: it is a national number, a name or
key material, and error text ends up in logs and problem responses.
"""

from __future__ import annotations


class InvalidIdentity(ValueError):
    """An identity field is malformed; ``field`` names it for a 422 response."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DecryptionError(Exception):
    """A ciphertext or wrapped key does not open: wrong key, wrong row/column, or altered."""


class UnknownMasterKey(DecryptionError):
    """A data key is wrapped under a master key id that is not in the key ring."""


class KeyDestroyed(Exception):
    """The data key was crypto-shredded: what it encrypted can no longer be read."""
