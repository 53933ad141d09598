"""A reference person's first minutes in the browser: Dutch by default, English on request,
the choice kept on the account, and a case registered."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import steps


def test_dutch_by_default_english_on_request_and_remembered(open_as):
    rp = open_as("caw_rp", "nl", shots="language")
    assert rp.html_lang() == "nl-BE"
    expect(rp.menu.get_by_role("link", name=rp.t("Cases"))).to_be_visible()
    rp.see(rp.t("Welcome, %(name)s", name=rp.display_name))
    rp.shot("01-home-nl")

    rp.use_language("en")
    assert rp.html_lang() == "en"
    expect(rp.menu.get_by_role("link", name="Cases")).to_be_visible()
    rp.see(f"Welcome, {rp.display_name}")
    rp.shot("02-home-en")
    rp.log_out()

    # A Dutch-speaking browser, but the account chose English.
    again = open_as("caw_rp", "en", shots="language")
    assert again.html_lang() == "en"
    again.use_language("nl")


def test_register_a_case_in_english(open_as):
    rp = open_as("caw_rp", "en", shots="language")
    reference = steps.register_case(rp, family="Proefnaam", given="Lotte",
                                    birth_date="2004-05-06")
    assert re.fullmatch(r"[\w./-]+", reference)
    expect(rp.page.locator("h1")).to_contain_text(reference)
    rp.shot("03-case-registered-en")


def test_the_timeline_says_every_step_in_dutch(open_as):
    """The first entry of a new case's timeline is its registration, in words."""
    rp = open_as("caw_rp", "nl", shots="language")
    steps.register_case(rp, family="Proefnaam", given="Jonas", birth_date="2003-07-08")
    timeline = rp.page.get_by_role("region", name=rp.t("Timeline"))
    expect(timeline.get_by_role("listitem").first).to_contain_text(
        rp.t.label("trigger", "create"))
