"""The pages' main menu: per role, only the places that role can use.

Entries name endpoints as strings (the web layer knows no feature); an entry whose
endpoint is not registered is left out, so a feature's menu entry appears with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from referral.core.actor import current_actor


@dataclass(frozen=True)
class Entry:
    endpoint: str
    text: LazyString
    roles: tuple[str, ...] = ()  # any one suffices; () = every logged-in user


CASE = ("reference_person", "case_worker")
LIVC = ("livc_chair", "livc_coordinator", "livc_member", "police_information_officer")

MENU: tuple[Entry, ...] = (
    Entry("home.home", _l("Home")),
    Entry("case_pages.inbox", _l("Inbox"), CASE),
    Entry("case_pages.case_list", _l("Cases"), CASE),
    Entry("meetings.meetings_web.meeting_list", _l("Meetings"), LIVC),
    Entry("meetings.meetings_web.livc_overview", _l("LIVC"), ("livc_chair", "livc_coordinator")),
    Entry("dashboard_pages.dashboard", _l("Dashboard"),
          ("livc_chair", "livc_coordinator", "regional_analyst")),
    Entry("audit_pages.status", _l("Audit"), ("auditor",)),
    Entry("privacy_pages.index", _l("Privacy"), ("dpo",)),
    Entry("assurance_pages.assurance_page", _l("Assurance report"), ("dpo", "livc_chair")),
    Entry("admin_pages.index", _l("Administration"), ("admin", "access_manager")),
    Entry("auth.account_page", _l("My account")),
)


def menu() -> list[tuple[str, str, bool]]:
    """(url, text, is_current) for the current user's menu."""
    actor = current_actor()
    if actor.is_anonymous:
        return []
    views = current_app.view_functions
    items = []
    for entry in MENU:
        if entry.endpoint not in views:
            continue
        if entry.roles and not any(actor.has_role(r) for r in entry.roles):
            continue
        url = url_for(entry.endpoint)
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append((url, str(entry.text), current))
    return items


def init_app(app: object) -> None:
    app.jinja_env.globals["main_menu"] = menu  # type: ignore[attr-defined]
