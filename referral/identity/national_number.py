"""Belgian national register numbers (rijksregisternummer) and name-based identities.

Layout: ``YYMMDD SSS CC``.  ``SSS`` is a serial (odd for men, even for women);
``CC = 97 - (YYMMDDSSS mod 97)``, where people born from 2000 on get a ``2``
prepended before the modulo.  The variant whose check matches tells the
century, since YY alone cannot.  Bis numbers (people not in the national
register) add 20 (sex unknown when issued) or 40 (sex known) to the month.
A month or day of 00 means that part of the birth date is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from referral.core import clock
from referral.identity.errors import InvalidIdentity

Sex = Literal["male", "female", "unknown"]

FIELD = "national_number"
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# Separators people type or copy from an eID: "85.07.30-033.61", "850730 033 61".
_SEPARATORS = re.compile(r"[.\- ]")
# [0-9], not \d: \d also accepts Arabic-Indic and other Unicode digits.
_ELEVEN_DIGITS = re.compile(r"[0-9]{11}")


@dataclass(frozen=True)
class NationalNumber:
    digits: str
    birth_date: date | None
    sex: Sex

    @property
    def formatted(self) -> str:
        d = self.digits
        return f"{d[0:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:11]}"


def checksum(first9: str, *, born_from_2000: bool) -> int:
    """The two check digits for the first nine digits."""
    base = int(("2" + first9) if born_from_2000 else first9)
    return 97 - base % 97


def _century(digits: str) -> int:
    first9, check = digits[:9], int(digits[9:])
    if check == checksum(first9, born_from_2000=False):
        return 1900
    # 2_000_000_000 is not a multiple of 97, so at most one variant can match.
    if check == checksum(first9, born_from_2000=True):
        return 2000
    raise InvalidIdentity(FIELD, "the check digits do not match")


def _real_month(month: int) -> tuple[int, bool]:
    """Month without the bis offset, and whether the sex was unknown when issued."""
    if 20 <= month <= 32:
        return month - 20, True
    if 40 <= month <= 52:
        return month - 40, False
    return month, False


def parse_national_number(raw: str, *, today: date | None = None) -> NationalNumber:
    """Validate and decode a national or bis number; raise InvalidIdentity if it is not one.

    ``today`` (default: the application clock) rejects birth dates in the future,
    which a 20xx checksum on a high YY would otherwise produce.
    """
    digits = _SEPARATORS.sub("", raw.strip())
    if not _ELEVEN_DIGITS.fullmatch(digits):
        raise InvalidIdentity(FIELD, "must be 11 digits, optionally written as YY.MM.DD-SSS.CC")
    century = _century(digits)
    yy, mm, dd = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    month, sex_unknown = _real_month(mm)
    if month > 12 or dd > 31:
        raise InvalidIdentity(FIELD, "the birth date part is not a possible date")
    today = today or clock.now().date()
    birth_date: date | None = None
    if month != 0 and dd != 0:
        try:
            birth_date = date(century + yy, month, dd)
        except ValueError:
            raise InvalidIdentity(FIELD, "the birth date part is not a possible date") from None
    if (birth_date or date(century + yy, 1, 1)) > today:
        raise InvalidIdentity(FIELD, "the birth date lies in the future")
    sex: Sex = "unknown" if sex_unknown else ("male" if int(digits[6:9]) % 2 else "female")
    return NationalNumber(digits=digits, birth_date=birth_date, sex=sex)


def validate_name_identity(family_name: str, given_names: str, birth_date: date,
                           today: date) -> None:
    """The identity used when there is no national number: names and a plausible birth date."""
    if not family_name or not family_name.strip():
        raise InvalidIdentity("family_name", "must not be empty")
    if not given_names or not given_names.strip():
        raise InvalidIdentity("given_names", "must not be empty")
    if birth_date > today:
        raise InvalidIdentity("birth_date", "lies in the future")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidIdentity("birth_date", f"lies before {EARLIEST_BIRTH_DATE.isoformat()}")
