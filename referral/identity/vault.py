"""Envelope encryption: master keys wrap per-case data keys, data keys encrypt fields.

Master keys live only in configuration (``REFERRAL_MASTER_KEYS``); the
database holds data keys wrapped by one of them.  Rotating a master key thus
re-wraps small keys instead of re-encrypting every field, and destroying a
data key crypto-shreds one case without touching the others.

Both layers use AES-256-GCM with a random 96-bit nonce.  The associated data
binds each ciphertext to where it belongs: a wrapped key to its master key
id, a field to its table, column and row, so a ciphertext copied elsewhere
fails to open instead of showing one person's data on another's case.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral.identity.encoding import decode_key
from referral.identity.errors import DecryptionError, UnknownMasterKey

KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
# One leading byte names the format, so that a later scheme can be read next to this one.
WRAP_FORMAT = 1
FIELD_FORMAT = 1

# Ids end up in the data_keys.master_key_id column (40 characters) and in AAD.
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# Identifiers without dots keep the "table.column.row" AAD unambiguous.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _wrap_aad(master_id: str) -> bytes:
    return b"data-key:" + master_id.encode("ascii")


class KeyRing:
    """The configured master keys and which one wraps new data keys.

    Holds key material, so its repr lists ids only.
    """

    __slots__ = ("_keys", "active_id")

    def __init__(self, keys: Mapping[str, bytes], active_id: str) -> None:
        if not keys:
            raise ValueError("the key ring is empty")
        for key_id, key in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError("master key ids are 1-40 characters of A-Z a-z 0-9 _ . -")
            if len(key) != KEY_BYTES:
                raise ValueError(f"master key {key_id!r} must be {KEY_BYTES} bytes")
        if active_id not in keys:
            raise ValueError(f"the active master key {active_id!r} is not in the key ring")
        self._keys = dict(keys)
        self.active_id = active_id

    @classmethod
    def parse(cls, value: str, active: str | None = None) -> KeyRing:
        """Parse ``id1:base64key,id2:base64key``; the active key is ``active`` or the last."""
        keys: dict[str, bytes] = {}
        for position, raw_entry in enumerate((value or "").split(","), start=1):
            entry = raw_entry.strip()
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep or not key_id:
                raise ValueError(
                    f"REFERRAL_MASTER_KEYS entry {position} is not of the form id:base64key")
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"REFERRAL_MASTER_KEYS entry {position}: the id must be "
                                 "1-40 characters of A-Z a-z 0-9 _ . -")
            if key_id in keys:
                raise ValueError(f"REFERRAL_MASTER_KEYS lists master key {key_id!r} twice")
            keys[key_id] = decode_key(encoded, what=f"master key {key_id!r}",
                                      min_length=KEY_BYTES, exact=True)
        if not keys:
            raise ValueError("REFERRAL_MASTER_KEYS holds no master key")
        active_id = active or list(keys)[-1]
        if active_id not in keys:
            raise ValueError(f"REFERRAL_ACTIVE_MASTER_KEY {active_id!r} is not listed in "
                             "REFERRAL_MASTER_KEYS")
        return cls(keys, active_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def __contains__(self, master_id: object) -> bool:
        return master_id in self._keys

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self._keys)!r}, active_id={self.active_id!r})"

    def _master(self, master_id: str) -> AESGCM:
        key = self._keys.get(master_id)
        if key is None:
            raise UnknownMasterKey(f"master key {master_id!r} is not in the key ring")
        return AESGCM(key)

    def wrap(self, data_key: bytes) -> tuple[bytes, str]:
        """Wrap ``data_key`` under the active master key: (blob, master key id)."""
        if len(data_key) != KEY_BYTES:
            raise ValueError(f"data keys are {KEY_BYTES} bytes")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._master(self.active_id).encrypt(nonce, data_key, _wrap_aad(self.active_id))
        return bytes([WRAP_FORMAT]) + nonce + sealed, self.active_id

    def new_data_key(self) -> tuple[bytes, bytes, str]:
        """A fresh random data key: (plaintext key, wrapped blob, master key id)."""
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        wrapped, master_id = self.wrap(data_key)
        return data_key, wrapped, master_id

    def unwrap(self, wrapped: bytes, master_id: str) -> bytes:
        master = self._master(master_id)
        if len(wrapped) != 1 + NONCE_BYTES + KEY_BYTES + _TAG_BYTES or wrapped[0] != WRAP_FORMAT:
            raise DecryptionError("the wrapped data key has an unknown format")
        nonce, sealed = wrapped[1:1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES:]
        try:
            return master.decrypt(nonce, sealed, _wrap_aad(master_id))
        except InvalidTag:
            raise DecryptionError(
                f"the data key does not open under master key {master_id!r}") from None

    def rewrap(self, wrapped: bytes, master_id: str) -> tuple[bytes, str]:
        """Re-wrap a data key under the active master key: (new blob, active id)."""
        return self.wrap(self.unwrap(wrapped, master_id))


def _field_aad(table: str, column: str, row_id: uuid.UUID) -> bytes:
    if not (_IDENTIFIER.fullmatch(table) and _IDENTIFIER.fullmatch(column)):
        raise ValueError("table and column must be lower-case SQL identifiers")
    return f"{table}.{column}.{row_id.hex}".encode("ascii")


def _field_cipher(data_key: bytes) -> AESGCM:
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"data keys are {KEY_BYTES} bytes")
    return AESGCM(data_key)


def encrypt_field(data_key: bytes, plaintext: str, *, table: str, column: str,
                  row_id: uuid.UUID) -> bytes:
    """``format byte || nonce || AES-GCM(plaintext)``, bound to table, column and row."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _field_cipher(data_key).encrypt(
        nonce, plaintext.encode("utf-8"), _field_aad(table, column, row_id))
    return bytes([FIELD_FORMAT]) + nonce + sealed


def decrypt_field(data_key: bytes, ciphertext: bytes, *, table: str, column: str,
                  row_id: uuid.UUID) -> str:
    """The plaintext, or DecryptionError for another key, row or column, or any alteration."""
    cipher = _field_cipher(data_key)
    aad = _field_aad(table, column, row_id)
    if len(ciphertext) < 1 + NONCE_BYTES + _TAG_BYTES or ciphertext[0] != FIELD_FORMAT:
        raise DecryptionError("the ciphertext has an unknown format")
    nonce, sealed = ciphertext[1:1 + NONCE_BYTES], ciphertext[1 + NONCE_BYTES:]
    try:
        plaintext = cipher.decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise DecryptionError(
            f"the ciphertext does not open as {table}.{column} of this row") from None
    return plaintext.decode("utf-8")
