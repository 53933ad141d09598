"""Decoding key material from configuration strings."""

from __future__ import annotations

import base64
import binascii


def decode_key(value: str, *, what: str, min_length: int, exact: bool = False) -> bytes:
    """Strict urlsafe base64 (padding optional) of at least/exactly ``min_length`` bytes.

    The error message names ``what`` (a setting or key id) but never the value:
    configuration errors are printed and logged.
    """
    text = value.strip()
    # urlsafe_b64decode silently drops characters outside the alphabet; a
    # truncated or mistyped key must fail instead of decoding to something else.
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{what} is not valid urlsafe base64") from None
    if exact and len(raw) != min_length:
        raise ValueError(f"{what} must decode to exactly {min_length} bytes, got {len(raw)}")
    if len(raw) < min_length:
        raise ValueError(f"{what} must decode to at least {min_length} bytes, got {len(raw)}")
    return raw
