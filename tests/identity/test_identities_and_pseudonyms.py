"""National numbers, name identities, normalisation and pseudonyms (no database)."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from referral.identity.errors import InvalidIdentity
from referral.identity.national_number import (
    NationalNumber,
    parse_national_number,
    validate_name_identity,
)
from referral.identity.pseudonym import (
    normalise_names,
    normalise_national_number,
    pseudonym,
    pseudonym_key_from_config,
)

TODAY = date(2026, 3, 1)
KEY = b"k" * 32


def make_number(yymmdd: str, serial: str, *, from_2000: bool) -> str:
    """A valid number, computing the check digits the way the register does."""
    first9 = yymmdd + serial
    base = int(("2" + first9) if from_2000 else first9)
    return f"{first9}{97 - base % 97:02d}"


def dotted(digits: str) -> str:
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:]}"


def corrupt_check(digits: str) -> str:
    check = (int(digits[9:]) % 97) + 1  # another value in 1..97, never the right one
    return f"{digits[:9]}{check:02d}"


# -- national numbers ---------------------------------------------------------

def test_pre_2000_number_parses_with_century_sex_and_date():
    nn = parse_national_number(make_number("850730", "033", from_2000=False), today=TODAY)
    assert nn == NationalNumber(digits=make_number("850730", "033", from_2000=False),
                                birth_date=date(1985, 7, 30), sex="male")


def test_post_2000_number_uses_the_2_prefixed_checksum():
    digits = make_number("100215", "124", from_2000=True)
    nn = parse_national_number(digits, today=TODAY)
    assert nn.birth_date == date(2010, 2, 15)
    assert nn.sex == "female"


def test_same_first_nine_digits_checksum_decides_the_century():
    old = parse_national_number(make_number("050101", "001", from_2000=False), today=TODAY)
    new = parse_national_number(make_number("050101", "001", from_2000=True), today=TODAY)
    assert old.birth_date == date(1905, 1, 1)
    assert new.birth_date == date(2005, 1, 1)


@pytest.mark.parametrize("from_2000", [False, True])
def test_wrong_check_digits_are_rejected(from_2000):
    digits = corrupt_check(make_number("900412", "257", from_2000=from_2000))
    with pytest.raises(InvalidIdentity) as exc:
        parse_national_number(digits, today=TODAY)
    assert exc.value.field == "national_number"
    assert "check digits" in exc.value.message


@pytest.mark.parametrize("render", [
    dotted,
    lambda d: d,
    lambda d: f"{d[:6]} {d[6:9]} {d[9:]}",
    lambda d: f"  {d[:6]}-{d[6:9]}-{d[9:]} ",
])
def test_usual_written_forms_are_accepted(render):
    digits = make_number("850730", "033", from_2000=False)
    assert parse_national_number(render(digits), today=TODAY).digits == digits


def test_formatted_renders_the_usual_form():
    digits = make_number("850730", "033", from_2000=False)
    assert parse_national_number(digits, today=TODAY).formatted == dotted(digits)


@pytest.mark.parametrize("raw", [
    "", "8507300332", "850730033281", "85O73003328", "85/07/30-033.28", "٨٥٠٧٣٠٠٣٣٢٨",
])
def test_bad_format_is_rejected_without_echoing_input(raw):
    with pytest.raises(InvalidIdentity) as exc:
        parse_national_number(raw, today=TODAY)
    assert exc.value.field == "national_number"
    assert "11 digits" in exc.value.message
    if raw:
        assert raw not in str(exc.value)


@pytest.mark.parametrize(("month", "expected_month", "sex"), [
    ("27", 7, "unknown"),  # +20: sex unknown when the bis number was issued
    ("47", 7, "male"),  # +40: sex known
])
def test_bis_number_month_offset(month, expected_month, sex):
    digits = make_number(f"85{month}30", "033", from_2000=False)
    nn = parse_national_number(digits, today=TODAY)
    assert nn.birth_date == date(1985, expected_month, 30)
    assert nn.sex == sex


@pytest.mark.parametrize("yymmdd", ["850030", "850700", "850000", "852000", "854000"])
def test_unknown_birth_month_or_day_gives_no_birth_date(yymmdd):
    nn = parse_national_number(make_number(yymmdd, "034", from_2000=False), today=TODAY)
    assert nn.birth_date is None
    assert nn.digits.startswith(yymmdd)


@pytest.mark.parametrize("yymmdd", ["850231", "851301", "853301", "856001", "850732", "010229"])
def test_impossible_dates_are_rejected(yymmdd):
    with pytest.raises(InvalidIdentity, match="not a possible date"):
        parse_national_number(make_number(yymmdd, "001", from_2000=False), today=TODAY)


def test_leap_day_is_possible_in_a_leap_year():
    nn = parse_national_number(make_number("000229", "001", from_2000=True), today=TODAY)
    assert nn.birth_date == date(2000, 2, 29)


def test_future_birth_date_in_the_2000s_is_rejected():
    with pytest.raises(InvalidIdentity, match="future"):
        parse_national_number(make_number("300101", "001", from_2000=True), today=TODAY)
    with pytest.raises(InvalidIdentity, match="future"):
        parse_national_number(make_number("300000", "001", from_2000=True), today=TODAY)


# -- name identities ----------------------------------------------------------

def test_name_identity_accepts_a_plausible_person():
    validate_name_identity("Dupont", "Émile", date(1990, 5, 1), TODAY)


@pytest.mark.parametrize(("family", "given", "field"), [
    ("", "Émile", "family_name"), ("  ", "Émile", "family_name"), ("Dupont", "\t", "given_names"),
])
def test_name_identity_needs_both_names(family, given, field):
    with pytest.raises(InvalidIdentity) as exc:
        validate_name_identity(family, given, date(1990, 5, 1), TODAY)
    assert exc.value.field == field


@pytest.mark.parametrize("birth", [date(2026, 3, 2), date(1899, 12, 31), date(1066, 10, 14)])
def test_name_identity_birth_date_must_be_plausible(birth):
    with pytest.raises(InvalidIdentity) as exc:
        validate_name_identity("Dupont", "Émile", birth, TODAY)
    assert exc.value.field == "birth_date"


def test_name_identity_bounds_are_inclusive():
    validate_name_identity("Dupont", "Émile", TODAY, TODAY)
    validate_name_identity("Dupont", "Émile", date(1900, 1, 1), TODAY)


# -- normalisation and pseudonyms ---------------------------------------------

BIRTH = date(1990, 5, 1)


@pytest.mark.parametrize(("family", "given"), [
    ("Dupont", "Émile"),
    ("  DUPONT ", "emile"),
    ("dupont", "E\u0301mile"),  # decomposed accent
    ("Du\u00adpont", "Émile"),  # soft hyphen from a copy-paste
])
def test_names_normalise_alike(family, given):
    assert normalise_names(family, given, BIRTH) == normalise_names("dupont", "emile", BIRTH)


def test_whitespace_collapses_inside_names():
    assert (normalise_names("Van  den\tBroeck", "Émile  Jean", BIRTH)
            == normalise_names("van den broeck", "emile jean", BIRTH))


def test_field_boundaries_cannot_be_faked():
    assert normalise_names("a b", "c", BIRTH) != normalise_names("a", "b c", BIRTH)
    assert (normalise_names("a\x1fb", "c", BIRTH) != normalise_names("a", "b\x1fc", BIRTH))


def test_birth_date_is_part_of_the_identity():
    assert normalise_names("Dupont", "Émile", BIRTH) != normalise_names("Dupont", "Émile",
                                                                         date(1990, 5, 2))


def test_national_number_normalises_from_any_written_form():
    digits = make_number("850730", "033", from_2000=False)
    assert normalise_national_number(dotted(digits)) == normalise_national_number(digits)
    parsed = parse_national_number(digits, today=TODAY)
    assert normalise_national_number(parsed) == normalise_national_number(digits)


def test_national_number_normalisation_validates():
    with pytest.raises(InvalidIdentity):
        normalise_national_number("12345678901")


def test_name_and_number_kinds_never_collide():
    digits = make_number("850730", "033", from_2000=False)
    assert normalise_names(digits, digits, BIRTH) != normalise_national_number(digits)
    assert not normalise_names("a", "b", BIRTH).startswith(normalise_national_number(digits)[:3])


def test_pseudonym_is_a_short_readable_code():
    code = pseudonym(KEY, normalise_names("Dupont", "Émile", BIRTH))
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert all(set(g) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for g in groups)


def test_pseudonym_is_stable_and_matches_across_spellings():
    a = pseudonym(KEY, normalise_names("Dupont", "Émile", BIRTH))
    b = pseudonym(bytes(KEY), normalise_names("DUPONT", "emile", BIRTH))
    assert a == b
    assert a == pseudonym(KEY, normalise_names("Dupont", "Émile", BIRTH))


def test_different_keys_or_people_give_different_pseudonyms():
    ident = normalise_names("Dupont", "Émile", BIRTH)
    assert pseudonym(KEY, ident) != pseudonym(b"j" * 32, ident)
    assert pseudonym(KEY, ident) != pseudonym(KEY, normalise_names("Dupont", "Emma", BIRTH))


def test_pseudonym_refuses_a_short_key():
    with pytest.raises(ValueError, match="32 bytes"):
        pseudonym(b"short", b"x")


def test_pseudonym_key_from_config():
    assert pseudonym_key_from_config(base64.urlsafe_b64encode(KEY).decode()) == KEY
    # Padding is optional.
    assert pseudonym_key_from_config(base64.urlsafe_b64encode(b"\xfb" * 33).decode()
                                     .rstrip("=")) == b"\xfb" * 33


@pytest.mark.parametrize("value", [
    "",
    base64.urlsafe_b64encode(b"x" * 31).decode(),
    "not base64 at all!",
    base64.urlsafe_b64encode(b"x" * 32).decode()[:-3] + "*&^",
])
def test_pseudonym_key_from_config_rejects_bad_keys_without_quoting_them(value):
    with pytest.raises(ValueError, match="PSEUDONYM_KEY") as exc:
        pseudonym_key_from_config(value)
    if value:
        assert value not in str(exc.value)
