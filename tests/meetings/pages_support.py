"""What the meeting page tests share: posting forms as a browser does, and a meeting
planned through the pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from referral.core import clock
from tests.factories import user_id

BRUSSELS = ZoneInfo("Europe/Brussels")


def form(api: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    """A form post with the page's CSRF token, as the browser sends it (no JSON)."""
    return api.client.post(url, data={**(data or {}), "csrf_token": api.csrf})


def html(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text


def visible(response_or_text: Any) -> str:
    """The text a reader sees: the page without its tags and attributes."""
    text = response_or_text if isinstance(response_or_text, str) else html(response_or_text)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", text))


def in_dutch(world: Any, value: str, kind: str) -> str:
    """The Dutch label the pages show for an internal id."""
    from flask_babel import force_locale

    from referral.web.labels import label

    with world.app.test_request_context(), force_locale("nl_BE"):
        return label(value, kind)


def brussels_day(days: int = 7) -> str:
    return (clock.now().astimezone(BRUSSELS) + timedelta(days=days)).date().isoformat()


def plan_through_the_page(world: Any, chair: Any, attendees: tuple[str, ...] = (
        "chair", "coordinator", "member"), day: str | None = None, at: str = "14:30") -> str:
    """Plan a meeting with the LIVC page's form; returns the new meeting's id."""
    r = form(chair, f"/livcs/{world.livc.id}/meetings", {
        "date": day or brussels_day(), "time": at, "location": "Stadhuis, zaal 2",
        "attendee_user_ids": [user_id(world, u) for u in attendees]})
    assert r.status_code == 302, html(r)
    location: str = r.headers["Location"]
    assert "/meetings/" in location
    return location.rsplit("/", 1)[-1]


def expected_utc(day: str, at: str) -> datetime:
    local = datetime.fromisoformat(f"{day}T{at}").replace(tzinfo=BRUSSELS)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


class _Form(HTMLParser):
    """Collects what a keyboard and screen-reader user needs from a page's forms."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labelled: set[str] = set()
        self.fields: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self.headings: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"] or "")
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(), "csrf": False})
        if tag in {"input", "select", "textarea"}:
            kind = (a.get("type") or "").lower()
            if kind == "hidden":
                if a.get("name") == "csrf_token" and self.forms:
                    self.forms[-1]["csrf"] = True
            elif kind not in {"submit", "button"}:
                self.fields.append(a.get("id") or f"<{tag} name={a.get('name')}>")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def form_problems(page: str) -> list[str]:
    """Inputs without a label, duplicate ids, POST forms without the CSRF token, skipped
    heading levels."""
    parser = _Form()
    parser.feed(page)
    problems = [f"no label: {f}" for f in parser.fields if f not in parser.labelled]
    problems += [f"duplicate id: {i}" for i in {i for i in parser.ids if parser.ids.count(i) > 1}]
    problems += ["POST form without csrf_token" for f in parser.forms
                 if f["method"] == "post" and not f["csrf"]]
    problems += [f"heading h{b} after h{a}" for a, b in zip(parser.headings,
                                                            parser.headings[1:], strict=False)
                 if b > a + 1]
    return problems
