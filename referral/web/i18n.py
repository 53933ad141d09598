"""Languages and time zones of the pages: Dutch (nl-BE, the default) and English.

The user's choice is kept on their account (``users.locale``) and, before login, in a
cookie; failing both, the browser's Accept-Language decides between the two.  Every
date and time on a page is shown in Europe/Brussels, whatever the server's zone.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, get_locale
from flask_login import current_user

# The languages we ship: the value stored per user -> the Babel locale used for formatting.
LANGUAGES: dict[str, str] = {"nl": "nl_BE", "en": "en_BE"}
DEFAULT_LANGUAGE = "nl"
TIMEZONE = "Europe/Brussels"
COOKIE = "livc_lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def language() -> str:
    """``nl`` or ``en``: the current request's language."""
    cached = g.get("language")
    if cached:
        return str(cached)
    chosen = _account_language() or request.cookies.get(COOKIE, "")
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
    g.language = chosen
    return chosen


def html_lang() -> str:
    """The ``<html lang>`` value: ``nl-BE`` or ``en``."""
    return "nl-BE" if language() == "nl" else "en"


def _account_language() -> str | None:
    user = getattr(current_user, "user", None) if current_user else None
    return getattr(user, "locale", None) if user is not None else None


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[DEFAULT_LANGUAGE])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=lambda: LANGUAGES[language()],
          timezone_selector=lambda: TIMEZONE)
    app.jinja_env.globals.update(html_lang=html_lang, language=language,
                                 languages=LANGUAGES, current_locale=get_locale)
