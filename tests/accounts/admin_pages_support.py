"""Driving the administration and account pages like a browser: a login through the
login form, the CSRF token read from each page, English unless a test wants Dutch."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client logged in through ``/login``; ``post`` sends the page's CSRF token."""

    def __init__(self, world: Any, username: str | None, language: str | None = "en",
                 password: str = PASSWORD) -> None:
        self.client = world.app.test_client()
        if language:
            self.client.set_cookie("livc_lang", language)
        self.token = csrf_of(self.client.get("/login").get_data(as_text=True))
        if username is not None:
            r = self.client.post("/login", data={"username": username, "password": password,
                                                 "csrf_token": self.token})
            assert r.status_code == 302, r.get_data(as_text=True)
            self.refresh()

    def refresh(self) -> None:
        """A new session has a new CSRF token (read it from any page)."""
        self.token = csrf_of(self.client.get("/login").get_data(as_text=True))

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def text(self, url: str) -> str:
        r = self.client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        return str(r.get_data(as_text=True))

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kw)


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def new_user_form(org_id: Any, username: str, roles: list[str], **extra: Any) -> dict[str, Any]:
    return {"organisation_id": str(org_id), "username": username,
            "display_name": username.title(), "password": "a long and own passphrase",
            "security_clearance": "none", "roles": roles, "step": "save", **extra}


def browser_with_mfa(world: Any, username: str) -> tuple[Browser, str]:
    """A browser logged in with password and code (the account enrols first): (browser,
    TOTP secret)."""
    from tests.factories import totp

    secret, _codes = world.enrol(world.login(username))
    browser = Browser(world, None)
    r = browser.client.post("/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": browser.token})
    assert r.headers["Location"].endswith("/login/code")
    browser.refresh()
    assert browser.post("/login/code", {"code": totp(secret)}).status_code == 302
    browser.refresh()
    return browser, secret
