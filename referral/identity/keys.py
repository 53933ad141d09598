"""Data keys in the database: create, open, crypto-shred; the app's key ring."""

from __future__ import annotations

import uuid

from flask import Flask
from sqlalchemy.orm import Session

from referral.core import clock
from referral.identity.errors import KeyDestroyed
from referral.identity.models import DataKey
from referral.identity.vault import KeyRing

_EXTENSION = "referral.keyring"


def ring_for(app: Flask) -> KeyRing:
    """The app's key ring, parsed once from MASTER_KEYS and ACTIVE_MASTER_KEY."""
    ring: KeyRing | None = app.extensions.get(_EXTENSION)
    if ring is None:
        ring = KeyRing.parse(app.config["MASTER_KEYS"], app.config.get("ACTIVE_MASTER_KEY"))
        app.extensions[_EXTENSION] = ring
    return ring


def create_data_key(session: Session, ring: KeyRing) -> tuple[DataKey, bytes]:
    """A new data key row (flushed, so it has its id) and its plaintext key."""
    plaintext, wrapped, master_id = ring.new_data_key()
    row = DataKey(wrapped_key=wrapped, master_key_id=master_id)
    session.add(row)
    session.flush()
    return row, plaintext


def load_data_key(source: Session | DataKey, ring: KeyRing,
                  data_key_id: uuid.UUID | None = None) -> bytes:
    """The plaintext data key of a row, or of ``data_key_id`` looked up in a session.

    Raises KeyDestroyed when the key was crypto-shredded and LookupError when
    no such row exists.
    """
    if isinstance(source, DataKey):
        row = source
    else:
        if data_key_id is None:
            raise TypeError("load_data_key(session, ring, data_key_id) needs the data key id")
        found = source.get(DataKey, data_key_id)
        if found is None:
            raise LookupError(f"no data key {data_key_id}")
        row = found
    if row.wrapped_key is None or row.master_key_id is None:
        raise KeyDestroyed(f"data key {row.id} was destroyed")
    return ring.unwrap(row.wrapped_key, row.master_key_id)


def destroy_data_key(row: DataKey) -> None:
    """Crypto-shred: without the wrapped key nothing encrypted under it can be read again.

    The row stays (cases reference it) and records when it was destroyed.
    """
    row.wrapped_key = None
    row.master_key_id = None
    row.destroyed_at = clock.now()
