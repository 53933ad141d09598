"""What a browser test says and does as a person: log in, go, see, click, take a picture.

The words a test expects are the pages' own English msgids, said in the person's language
through the compiled Dutch catalogue (``Words``): an assertion on Dutch text and a selector
by a Dutch label then follow the translators' wording, and a msgid without a Dutch entry
fails the test instead of passing on the English fallback.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from playwright.sync_api import Locator, Page, expect

from referral.ops.demo import DEMO_PASSWORD, USERS
from referral.web.i18n import TRANSLATIONS
from referral.web.labels import LABELS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
HTML_LANG = {"nl": "nl-BE", "en": "en"}
BROWSER_LOCALE = {"nl": "nl-BE", "en": "en-GB"}
SWITCH_TO = {"nl": "Nederlands", "en": "English"}  # each language named in itself

DISPLAY_NAMES = {username: display for username, display, *_ in USERS}

expect.set_options(timeout=10_000)


@cache
def _dutch() -> Translations:
    loaded = Translations.load(str(TRANSLATIONS), ["nl_BE"])
    assert isinstance(loaded, Translations), f"no compiled Dutch catalogue in {TRANSLATIONS}"
    return loaded


class Words:
    """``t("Case %(ref)s registered", ref=r)``: the text the person reads, as gettext says it."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, msgid: str, **variables: Any) -> str:
        text = msgid
        if self.language == "nl":
            catalogue = _dutch()._catalog  # holds only the entries with a Dutch text
            if msgid not in catalogue:
                pytest.fail(f"no Dutch in the catalogue for {msgid!r}: the page shows English")
            text = catalogue[msgid]
        return text % variables if variables else text

    def pattern(self, msgid: str, *, named: bool = True) -> re.Pattern[str]:
        """The message as a regular expression, each ``%(name)s`` a group of that name
        (``named=False``: plain groups, the syntax a Playwright text matcher accepts)."""
        text = self(msgid, **{n: f"\0{n}\0" for n in re.findall(r"%\((\w+)\)s", msgid)})
        parts = re.split(r"\0(\w+)\0", text)
        group = (lambda name: rf"(?P<{name}>.+?)") if named else (lambda name: "(.+?)")
        return re.compile("".join(re.escape(part) if i % 2 == 0 else group(part)
                                  for i, part in enumerate(parts)))

    def label(self, kind: str, value: str) -> str:
        """What ``value|label(kind)`` prints."""
        if value not in LABELS.get(kind, {}):
            pytest.fail(f"no label for the {kind} {value!r}: the page shows a humanised id")
        return self(str(LABELS[kind][value]))


class Person:
    """A demo user at a browser of their own (own cookies), speaking one language."""

    def __init__(self, browser: Any, base_url: str, username: str, language: str,
                 shots: str = "") -> None:
        self.username = username
        self.display_name = DISPLAY_NAMES[username]
        self.language = language
        self.t = Words(language)
        self.shots = ARTIFACTS / (shots or language)
        self.context = browser.new_context(base_url=base_url,
                                           locale=BROWSER_LOCALE[language],
                                           timezone_id="Europe/Brussels",
                                           viewport={"width": 1280, "height": 900})
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("response", self._response)

    # -- what went wrong beside the assertions: crashes, CSP refusals, scripts ------------

    def _console(self, message: Any) -> None:
        # An expected 403/404 page logs "Failed to load resource"; its status is checked by
        # the test.  Anything else (a CSP refusal of an inline style) is a defect.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console on {self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def assert_no_page_errors(self) -> None:
        assert not self.problems, f"{self.username}: " + "; ".join(self.problems)

    def close(self) -> None:
        self.context.close()

    # -- logging in and the language ---------------------------------------------------

    def log_in(self) -> None:
        page, t = self.page, self.t
        self.go("/login")
        page.get_by_label(t("Username")).fill(self.username)
        page.get_by_label(t("Password")).fill(DEMO_PASSWORD)
        page.get_by_role("button", name=t("Log in")).click()
        expect(page).not_to_have_url(re.compile(r"/login"))
        self.use_language(self.language)

    def use_language(self, language: str) -> None:
        """Switch with the header's button when the page is in the other language."""
        self.language = language
        self.t = Words(language)
        if self.html_lang() != HTML_LANG[language]:
            self.page.get_by_role("button", name=SWITCH_TO[language], exact=True).click()
        expect(self.page.locator("html")).to_have_attribute("lang", HTML_LANG[language])

    def html_lang(self) -> str | None:
        return self.page.locator("html").get_attribute("lang")

    def log_out(self) -> None:
        self.page.get_by_role("button", name=self.t("Log out")).click()
        expect(self.page).to_have_url(re.compile(r"/login"))

    # -- going, seeing, pictures ---------------------------------------------------------

    def go(self, path: str, status: int = 200) -> Page:
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, f"GET {path}: {response.status}, not {status}"
        return self.page

    def path(self) -> str:
        """The current page's path (to come back to it later)."""
        return "/" + self.page.url.split("/", 3)[3]

    @property
    def main(self) -> Locator:
        return self.page.locator("main")

    @property
    def menu(self) -> Locator:
        return self.page.get_by_role("navigation", name=self.t("Main menu"))

    def see(self, *texts: str) -> None:
        for text in texts:
            expect(self.main).to_contain_text(text)

    def not_see(self, *texts: str) -> None:
        """Not on the page at all: not in the text, nor in any attribute or hidden field."""
        html = self.page.content()
        for text in texts:
            assert text not in html, f"{self.username} can read {text!r} on {self.page.url}"

    def told(self, text: str) -> None:
        """The flashed confirmation after a form."""
        expect(self.page.get_by_role("status").filter(has_text=text)).to_be_visible()

    def told_match(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """The flashed confirmation that matches ``pattern`` (see ``Words.pattern``)."""
        status = self.page.get_by_role("status")
        unnamed = re.compile(re.sub(r"\(\?P<\w+>", "(", pattern.pattern))  # JavaScript's syntax
        expect(status.filter(has_text=unnamed)).to_be_visible()
        for text in status.all_inner_texts():
            if found := pattern.search(text.strip()):
                return found
        raise AssertionError(f"no confirmation matches {pattern.pattern}")

    def warned(self, text: str) -> None:
        expect(self.page.get_by_role("alert").filter(has_text=text)).to_be_visible()

    def button(self, name: str | re.Pattern[str], **kw: Any) -> Locator:
        return self.page.get_by_role("button", name=name, **kw)

    def link(self, name: str | re.Pattern[str], **kw: Any) -> Locator:
        return self.page.get_by_role("link", name=name, **kw)

    def field(self, label: str, **kw: Any) -> Locator:
        return self.page.get_by_label(label, **kw)

    def pdf(self, name: str) -> Path:
        """The page as printed (print stylesheet), as a PDF beside the screenshots."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.pdf"
        self.page.pdf(path=str(path))
        return path

    def shot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
