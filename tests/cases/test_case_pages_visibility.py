"""What each user's case page shows: only the forms that user may use, no note of another
compartment anywhere in the HTML (not in hidden fields, not in attributes), the same
access statement as the case list, the diagram, and the page's language."""

from __future__ import annotations

import re

from tests.cases.page_support import Browser, label_of, said
from tests.factories import build, in_session

OWNER_SECRET = "Broer heeft contacten met een rekruteerder"
PARTNER_SECRET = "Reclasseringsassistent hoorde over een reis"


def _notes(world, case):
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes", json={"body": OWNER_SECRET,
                                                           "compartment": "internal"})
    assert r.status_code == 201, r.get_json()
    partner = world.login("accepted_rp")
    r = partner.post(f"/api/v1/cases/{case.id}/notes", json={"body": PARTNER_SECRET,
                                                             "compartment": "internal"})
    assert r.status_code == 201, r.get_json()


def _forms(html: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="([^"]+)"', html))


def test_the_owner_sees_every_form_and_only_its_own_note(world):
    case = build(world)
    _notes(world, case)
    url = f"/cases/{case.id}"
    html = Browser(world, "owner_rp").html(url)
    forms = _forms(html)
    for action in (url, f"{url}/notes", f"{url}/referrals", f"{url}/reidentify",
                   f"{url}/transition"):
        assert action in forms
    assert OWNER_SECRET in html
    assert PARTNER_SECRET not in html


def test_an_accepted_partner_writes_notes_but_does_not_manage_the_case(world):
    case = build(world)
    _notes(world, case)
    url = f"/cases/{case.id}"
    html = Browser(world, "accepted_rp").html(url)
    forms = _forms(html)
    assert f"{url}/notes" in forms  # the case team writes in its own compartment
    assert url not in forms  # no informing, consent, phase or coordinator forms
    assert f"{url}/referrals" not in forms
    assert f"{url}/access-log" not in html
    assert PARTNER_SECRET in html
    assert OWNER_SECRET not in html
    # The owner's steps are shown, disabled, with the rule in words.
    assert "disabled" in html
    assert said(world, "Not now: %(why)s",
                why=label_of(world, "owner_or_coordinator", "rule")) in html


def test_an_offered_partner_sees_the_reduced_header_and_no_form(world):
    case = build(world)
    _notes(world, case)
    url = f"/cases/{case.id}"
    html = Browser(world, "offered_rp").html(url)
    assert _forms(html) <= {"/logout", "/language"}
    assert OWNER_SECRET not in html
    assert PARTNER_SECRET not in html
    assert "help with housing" in html  # the referral's purpose: the reduced header
    assert "<svg" not in html  # no pathway either


def test_the_chair_preparing_the_agenda_sees_no_form_and_no_note(world):
    case = build(world, state="proposed")
    _notes(world, case)
    html = Browser(world, "chair").html(f"/cases/{case.id}")
    assert _forms(html) <= {"/logout", "/language"}
    assert OWNER_SECRET not in html
    assert PARTNER_SECRET not in html


def test_the_police_officer_in_consultation_writes_police_notes_only(world):
    case, _chair, meeting = in_session(world)
    police = world.login("police_io")
    # Attending and acknowledged: the case's material reaches the officer.
    from tests.factories import user_id

    chair = world.login("chair")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/attendees",
                   json={"user_id": user_id(world, "police_io")})
    assert r.status_code in {200, 201}, r.get_json()
    assert police.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    _notes(world, case)
    html = Browser(world, "police_io").html(f"/cases/{case.id}")
    assert 'name="compartment" value="police"' in html
    assert 'value="internal"' not in html
    assert OWNER_SECRET not in html
    assert PARTNER_SECRET not in html


def test_another_organisation_gets_not_found_and_no_trace(world):
    case = build(world)
    _notes(world, case)
    stranger = Browser(world, "elsewhere_rp")
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/access-log"):
        r = stranger.get(url)
        assert r.status_code == 404
        body = r.get_data(as_text=True)
        assert case.reference not in body
        assert OWNER_SECRET not in body
    assert case.reference not in stranger.html("/cases")
    assert stranger.post(f"/cases/{case.id}/notes", {"body": "x"}).status_code == 404


def test_the_access_column_says_what_the_case_page_says(world):
    case = build(world)
    for username in ("owner_rp", "owner_cw", "accepted_rp", "offered_rp"):
        browser = Browser(world, username)
        listing = browser.html("/cases")
        row = re.search(rf'{re.escape(case.reference)}</a></th>.*?<td class="access">(.*?)</td>',
                        listing, re.S)
        assert row, username
        page = browser.html(f"/cases/{case.id}")
        statement = re.search(r'<span class="access">(.*?)</span>', page, re.S).group(1)
        assert row.group(1).strip() == statement.strip(), username
        assert statement.strip()
    owner_statement = said(world, "Full: your organisation holds this case")
    assert owner_statement in Browser(world, "owner_rp").html("/cases")


def test_the_diagram_marks_the_current_state_in_the_users_words(world):
    case = build(world, state="guidance")
    rp = Browser(world, "owner_rp")
    html = rp.html(f"/cases/{case.id}")
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    current = re.search(r'<g class="state current" data-current="true">.*?<text[^>]*>([^<]+)'
                        r"</text>", svg, re.S)
    assert current.group(1) == label_of(world, "guidance", "state")
    assert svg.count('data-current="true"') == 1
    # The way forward is drawn bold from the current state; the ids are not shown.
    assert "url(#arrow-forward)" in svg
    assert ">guidance<" not in svg
    assert "<script" not in svg
    assert "href" not in svg


def test_dutch_by_default_and_english_when_chosen(world):
    case = build(world)
    rp = Browser(world, "owner_rp")
    html = rp.html(f"/cases/{case.id}")
    assert '<html lang="nl-BE">' in html
    assert "Volgende stappen" in html
    r = rp.post("/language", {"language": "en", "next": f"/cases/{case.id}"})
    assert r.status_code == 303
    html = rp.html(f"/cases/{case.id}")
    assert '<html lang="en">' in html
    assert "Next steps" in html
    assert '<html lang="en">' in rp.html("/inbox")
