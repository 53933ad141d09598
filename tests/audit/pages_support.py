"""Helpers of the page tests of the auditor and the DPO: a browser session, its form token,
and what no page may contain."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import PASSWORD


def browser(world: Any, username: str, language: str | None = None) -> Any:
    """A test client logged in through the login form, as a browser would be."""
    client = world.app.test_client()
    if language:
        client.set_cookie("livc_lang", language)
    html = client.get("/login").get_data(as_text=True)
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token(html)})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def clean(html: str) -> None:
    """No inline script or style (CSP), never an identity."""
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert "Peeters" not in html


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
