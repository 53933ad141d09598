"""Pages redirect only to paths on this site."""

from __future__ import annotations

import pytest

from tests.factories import build

HOSTILE = ("/\t/evil.example/", "//evil.example/", "/\\evil.example", "https://evil.example/",
           "/\n/evil.example", " //evil.example", "/\x0b/evil.example")


def _form_token(client, url):
    html = client.get(url).get_data(as_text=True)
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize("target", HOSTILE)
def test_after_a_referral_decision_no_redirect_leaves_the_site(world, target):
    build(world)
    client = world.app.test_client()
    token = _form_token(client, "/login")
    client.post("/login", data={"username": "offered_rp", "password": "correct horse battery",
                                "csrf_token": token})
    referral_id = world.login("offered_rp").get(
        "/api/v1/referrals?direction=incoming").get_json()["items"][0]["id"]
    token = _form_token(client, "/inbox")
    r = client.post(f"/referrals/{referral_id}/transition",
                    data={"trigger": "decline", "reason": "no capacity", "next": target,
                          "csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"] in {"/inbox", "http://localhost/inbox"}


def test_a_same_site_next_is_kept(world):
    from referral.web.pages import same_site_path

    assert same_site_path("/cases/1?tab=notes") == "/cases/1?tab=notes"
    assert all(same_site_path(t) is None for t in HOSTILE)
