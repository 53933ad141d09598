"""Every user's account page (language, second factor, sessions, API tokens, password) and
the login pages: Dutch by default, English on request, before and after login."""

from __future__ import annotations

import re
from datetime import timedelta

from referral.core import clock
from tests.accounts.admin_pages_support import Browser, browser_with_mfa, html
from tests.factories import PASSWORD, build, totp


def _bearer(world, token):
    return world.app.test_client().get("/api/v1/me",
                                       headers={"Authorization": f"Bearer {token}"})


def test_a_new_token_is_shown_once_works_and_is_revoked(world):
    build(world)
    browser = Browser(world, "owner_rp")
    r = browser.post("/account/tokens", {"name": "my script", "expires_in_days": "7"})
    assert r.status_code == 201
    token = re.search(r'id="new-token" class="token-value" value="([^"]+)"', html(r)).group(1)
    assert "shown this once" in html(r)
    assert _bearer(world, token).status_code == 200
    again = browser.text("/account")
    assert token not in again  # never shown again (stored only as a hash)
    assert "my script" in again
    token_id = re.search(r'action="/account/tokens/([0-9a-f-]+)/revoke"', again).group(1)
    r = browser.post(f"/account/tokens/{token_id}/revoke")
    assert r.status_code == 303
    page = browser.text(r.headers["Location"])
    assert "The token is revoked" in page
    assert "Revoked on" in page
    assert _bearer(world, token).status_code == 401


def test_a_token_needs_a_name_said_next_to_the_field(world):
    build(world)
    r = Browser(world, "owner_rp").post("/account/tokens", {"name": "",
                                                            "expires_in_days": "999"})
    assert r.status_code == 422
    assert 'id="token-name-error"' in html(r)
    assert 'id="token-days-error"' in html(r)


def test_another_users_token_cannot_be_revoked(world):
    build(world)
    other = world.login("owner_cw")
    token_id = other.post("/api/v1/tokens", json={"name": "theirs"}).get_json()["id"]
    browser = Browser(world, "owner_rp")
    r = browser.post(f"/account/tokens/{token_id}/revoke")
    assert r.status_code == 303
    assert "Not found." in browser.text(r.headers["Location"])
    assert other.get("/api/v1/tokens").get_json()[0]["revoked_at"] is None


def test_my_sessions_and_ending_the_others(world):
    build(world)
    elsewhere = world.login("owner_rp")  # another device
    browser = Browser(world, "owner_rp")
    page = browser.text("/account")
    assert "This session" in page
    assert page.count('action="/account/sessions/') >= 2  # one "End" per other session
    r = browser.post("/account/sessions/end-others")
    assert r.status_code == 303
    assert "Other sessions ended: 1." in browser.text(r.headers["Location"])
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert browser.get("/account").status_code == 200  # this one goes on


def test_a_change_needs_a_recent_second_factor(world):
    build(world)
    browser, secret = browser_with_mfa(world, "owner_rp")
    clock.advance(timedelta(minutes=11))
    page = browser.text("/account")
    assert "Confirm with a code" in page
    r = browser.post("/account/tokens", {"name": "late"})
    assert r.status_code == 303
    assert "/account/confirm" in r.headers["Location"]
    confirm = browser.text(r.headers["Location"])
    assert "needs a second factor" in confirm
    r = browser.post("/account/confirm", {"code": "000000", "next": "/account"})
    assert r.status_code == 401
    r = browser.post("/account/confirm", {"code": totp(secret), "next": "/account"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/account")
    browser.refresh()
    assert browser.post("/account/tokens", {"name": "now"}).status_code == 201


def test_the_password_is_changed_on_the_account_page(world):
    build(world)
    browser = Browser(world, "owner_rp")
    r = browser.post("/account/password", {"current_password": "wrong",
                                            "new_password": "short"})
    assert r.status_code == 422
    assert "This is not your current password." in html(r)
    assert 'value="wrong"' not in html(r)  # secrets are never sent back
    r = browser.post("/account/password", {"current_password": PASSWORD,
                                            "new_password": "short"})
    assert "Use at least 12 characters." in html(r)
    r = browser.post("/account/password", {"current_password": PASSWORD,
                                            "new_password": "otter lantern meadow"})
    assert r.status_code == 303
    Browser(world, "owner_rp", password="otter lantern meadow")


def test_login_and_account_pages_are_dutch_by_default(world):
    build(world)
    anonymous = Browser(world, None, language=None)
    login = anonymous.text("/login")
    assert '<html lang="nl-BE">' in login
    assert "Aanmelden" in login
    assert "Gebruikersnaam" in login
    assert "Wachtwoord" in login
    assert "Log in" not in login
    r = anonymous.client.post("/login", data={"username": "owner_rp", "password": "nope",
                                              "csrf_token": anonymous.token})
    assert r.status_code == 401
    assert "Onbekende gebruikersnaam of verkeerd wachtwoord." in html(r)
    browser = Browser(world, "owner_rp", language=None)
    account = browser.text("/account")
    assert "Mijn account" in account
    assert "Mijn API-tokens" in account
    assert "Referentiepersoon" in account  # the role by its Dutch label


def test_the_language_switch_works_before_login_and_is_kept_after(world):
    build(world)
    anonymous = Browser(world, None, language=None)
    r = anonymous.post("/language", {"language": "en", "next": "/login"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/login")
    login = anonymous.text("/login")
    assert '<html lang="en">' in login
    assert "Log in" in login
    browser = Browser(world, "owner_rp", language=None)
    r = browser.post("/language", {"language": "en", "next": "/account"})
    assert r.status_code == 303
    fresh = Browser(world, "owner_rp", language=None)  # another device, no cookie
    assert "My account" in fresh.text("/account")
