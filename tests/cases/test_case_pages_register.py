"""Registering a signal through the page: errors in words next to the field, in Dutch by
default, the user's input kept; the LIVC chosen by its name."""

from __future__ import annotations

import re

from tests.cases.page_support import Browser, said
from tests.factories import build


def _error_after(html: str, field: str) -> str:
    """The inline error shown right after ``field``'s input."""
    found = re.search(rf'id="{field}"[^>]*>\s*<p class="field-error" '
                      rf'id="{field}-error">([^<]+)</p>', html)
    assert found, f"no inline error after {field}"
    return found.group(1)


def test_a_wrong_national_number_is_said_next_to_the_field_in_dutch(world):
    build(world)
    rp = Browser(world, "owner_rp")
    listing = rp.html("/cases")
    assert '<html lang="nl-BE">' in listing
    assert ">LIVC Test</option>" in listing  # the LIVC by name
    r = rp.post("/cases/new", {"livc_id": str(world.livc.id), "national_number": "12345",
                               "context": "detention", "consent": "given"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert _error_after(html, "national_number") == said(
        world, "Enter 11 digits, as YY.MM.DD-SSS.CC or without dots.")
    assert "Geef 11 cijfers" in html
    assert "identity.national_number" not in html
    assert "must be 11 digits" not in html
    # What was typed stays, choices too.
    assert 'name="national_number" inputmode="numeric" autocomplete="off" ' in html
    assert 'value="12345"' in html
    assert '<option value="detention" selected>' in html
    assert '<option value="given" selected>' in html
    assert r.headers["Cache-Control"] == "no-store"


def test_names_with_a_future_birth_date_and_missing_names(world):
    build(world)
    rp = Browser(world, "owner_rp")
    r = rp.post("/cases/new", {"livc_id": str(world.livc.id), "family_name": "Peeters",
                               "given_names": "Jan", "birth_date": "2999-01-01"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert _error_after(html, "birth_date") == said(world, "The date lies in the future.")
    assert 'value="Peeters"' in html
    assert 'value="Jan"' in html
    r = rp.post("/cases/new", {"livc_id": str(world.livc.id), "family_name": "Peeters"})
    assert r.status_code == 422
    assert said(world, "Give a national register number, or the family name, given names "
                       "and birth date.") in r.get_data(as_text=True)
    r = rp.post("/cases/new", {"livc_id": str(world.livc.id), "family_name": "Peeters",
                               "given_names": "Jan", "birth_date": "03/02/2001"})
    assert r.status_code == 422
    assert _error_after(r.get_data(as_text=True), "birth_date") == said(
        world, "Enter a date as DD/MM/YYYY or YYYY-MM-DD.")


def test_a_registered_case_opens_with_the_flash_in_dutch(world):
    build(world)
    rp = Browser(world, "owner_rp")
    r = rp.post("/cases/new", {"livc_id": str(world.livc.id), "family_name": "Janssens",
                               "given_names": "An", "birth_date": "1990-05-06",
                               "consent": "unknown"})
    assert r.status_code == 302
    page = rp.html(r.headers["Location"])
    assert "geregistreerd als" in page
    assert "Janssens" not in page  # pseudonymous
    assert "LIVC Test" in page  # the LIVC by name, not its id
    assert str(world.livc.id) not in page


def test_who_may_not_register_sees_no_form(world):
    build(world)
    chair = Browser(world, "chair")
    assert "Een signaal registreren" not in chair.html("/cases")
    assert chair.post("/cases/new", {"livc_id": str(world.livc.id)}).status_code == 403
