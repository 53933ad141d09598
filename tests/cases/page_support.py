"""Driving the case pages like a browser: log in through the login form, read CSRF tokens
from the page, and say what a page should say in the user's language."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class Browser:
    """A test client logged in through the login page, as a person would."""

    def __init__(self, world: Any, username: str) -> None:
        self.client = world.app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        r = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token(page)})
        assert r.status_code == 302, r.get_data(as_text=True)
        self.csrf = token(self.client.get("/").get_data(as_text=True))

    def get(self, url: str) -> Any:
        return self.client.get(url)

    def html(self, url: str) -> str:
        r = self.client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        return str(r.get_data(as_text=True))

    def post(self, url: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})})

    def follow(self, url: str, data: dict[str, Any] | None = None) -> str:
        """POST a form and read the page it leads to (where the flash message shows)."""
        r = self.post(url, data)
        assert r.status_code in {302, 303}, (r.status_code, r.get_data(as_text=True)[:2000])
        return self.html(r.headers["Location"])


def said(world: Any, message: str, language: str = "nl", **values: Any) -> str:
    """``message`` as the page says it in ``language`` (escaped as in the HTML)."""
    from markupsafe import escape

    with world.app.test_request_context(), force_locale(language):
        return str(escape(_(message, **values)))


def label_of(world: Any, value: str, kind: str, language: str = "nl") -> str:
    from markupsafe import escape

    from referral.web.labels import label

    with world.app.test_request_context(), force_locale(language):
        return str(escape(label(value, kind)))


def user_id(world: Any, username: str) -> str:
    from tests.factories import user_id as find

    return find(world, username)
