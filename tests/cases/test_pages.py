"""The pages a reference person uses, driven like a browser: forms with CSRF tokens."""

from __future__ import annotations

import re

from tests.factories import PASSWORD, build


def _browser(world, username):
    client = world.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 302
    # These tests read the English wording; the Dutch pages are tested in
    # test_case_pages_*.py.
    page = client.get("/").get_data(as_text=True)
    r = client.post("/language", data={"language": "en", "csrf_token": _token(page)})
    assert r.status_code in {302, 303}
    return client, token


def _english(world, value, kind):
    from flask_babel import force_locale

    from referral.web.labels import label

    with world.app.test_request_context(), force_locale("en"):
        return label(value, kind)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_register_write_disclose_and_refer_through_pages(world):
    build(world)
    client, _ = _browser(world, "owner_rp")
    listing = client.get("/cases").get_data(as_text=True)
    assert "Register a signal" in listing
    r = client.post("/cases/new", data={
        "csrf_token": _token(listing), "livc_id": str(world.livc.id), "family_name": "Peeters",
        "given_names": "Jan", "birth_date": "1988-04-04", "context": "community",
        "consent": "given"})
    assert r.status_code == 302
    case_url = r.headers["Location"]
    page = client.get(case_url).get_data(as_text=True)
    assert "registered as" in page
    assert "Peeters" not in page  # pseudonymous by default
    r = client.post(f"{case_url}/notes", data={"csrf_token": _token(page),
                                              "body": "Teacher is worried.",
                                              "compartment": "internal"})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Teacher is worried." in page
    assert "Start screening" in page
    # Without a token nothing happens.
    r = client.post(f"{case_url}/notes", data={"body": "x", "compartment": "internal"})
    assert r.status_code == 403
    # A failing guard is explained on the page, not as an error page.
    r = client.post(f"{case_url}/transition", data={"csrf_token": _token(page),
                                                   "trigger": "close_no_concern"})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"Not possible yet: {_english(world, 'outcome_given', 'guard')}." in page
    vdab = str(world.orgs["CGG Gent"].id)
    r = client.post(f"{case_url}/referrals", data={
        "csrf_token": _token(page), "to_organisation_id": vdab, "kind": "service",
        "sphere_of_life": "trauma", "purpose": "trauma counselling"})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Referral offered." in page
    member, _ = _browser(world, "member_rp")
    inbox = member.get("/inbox").get_data(as_text=True)
    assert "trauma counselling" in inbox
    case_page = member.get(case_url).get_data(as_text=True)
    assert "reduced header" in case_page
    assert "Teacher is worried." not in case_page


def test_pages_need_login_and_hide_unrelated_cases(world):
    case = build(world)
    anonymous = world.app.test_client()
    assert anonymous.get("/cases").status_code == 302
    stranger, _ = _browser(world, "elsewhere_rp")
    assert stranger.get(f"/cases/{case.id}").status_code == 404


def test_home_page_points_each_role_to_its_work(world):
    build(world)
    rp, _ = _browser(world, "owner_rp")
    page = rp.get("/").get_data(as_text=True)
    assert "/cases" in page
    assert "/inbox" in page
    assert "/audit" not in page
    auditor, _ = _browser(world, "auditor1")
    page = auditor.get("/").get_data(as_text=True)
    assert "/audit" in page
    assert "/inbox" not in page


def test_case_list_pages_through_and_bounds_the_page_number(world):
    from tests.factories import make_case

    build(world)
    for _ in range(2):
        make_case(world)
    world.app.config["LIST_COUNT_LIMIT"] = 2
    client, _token_value = _browser(world, "owner_rp")
    first = client.get("/cases").get_data(as_text=True)
    assert "More than 2 cases" in first
    assert "page=2" not in first  # three cases fit on the first page of 50
    huge = client.get("/cases?page=100000000000000000000")
    assert huge.status_code == 200  # bounded, not a database overflow (was a 500)
    assert "No cases." in huge.get_data(as_text=True)
