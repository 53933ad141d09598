"""Turning an identity given at registration into a pseudonym and an encrypted blob."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app

from referral.core import clock, errors
from referral.identity.errors import InvalidIdentity
from referral.identity.national_number import parse_national_number, validate_name_identity
from referral.identity.pseudonym import (
    normalise_names,
    normalise_national_number,
    pseudonym,
    pseudonym_key_for,
)


@dataclass(frozen=True)
class ParsedIdentity:
    pseudonym: str
    birth_date: date | None
    plaintext: str  # JSON, encrypted before it is stored; never logged


def parse_identity(raw: dict[str, Any]) -> ParsedIdentity:
    today = clock.now().date()
    key = pseudonym_key_for(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        if raw.get("national_number"):
            if set(raw) - {"national_number"}:
                raise InvalidIdentity("identity", "give a national number or names with a "
                                      "birth date, not both")
            nn = parse_national_number(raw["national_number"], today=today)
            return ParsedIdentity(pseudonym(key, normalise_national_number(nn)), nn.birth_date,
                                  json.dumps({"national_number": nn.digits}))
        family, given, born = raw.get("family_name"), raw.get("given_names"), raw.get("birth_date")
        if not (family and given and born):
            raise InvalidIdentity("identity", "give national_number, or family_name, "
                                  "given_names and birth_date")
        validate_name_identity(family, given, born, today)
        return ParsedIdentity(pseudonym(key, normalise_names(family, given, born)), born,
                              json.dumps({"family_name": family, "given_names": given,
                                          "birth_date": born.isoformat()}))
    except InvalidIdentity as exc:
        raise errors.ValidationFailed({f"identity.{exc.field}".replace("identity.identity",
                                                                       "identity"):
                                       [exc.message]}) from None


def age_on(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) <
                                           (birth_date.month, birth_date.day))


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for upper, band in ((11, "0-11"), (17, "12-17"), (25, "18-25"), (35, "26-35")):
        if age <= upper:
            return band
    return "36+"
