"""What every server-rendered page uses: the policy declaration and the pager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import request, url_for


def page(action: str) -> Any:
    """Declare a page's policy action (checked by the route-walking test)."""

    def decorator(view: Any) -> Any:
        view.policy_action = action
        return view

    return decorator


# Page numbers in query strings are bounded like the API's ?page: an offset past 64 bits is a
# database error, not a page.
MAX_PAGE = 1_000_000


def page_number() -> int:
    """The ?page of an HTML list, 1 when missing or not a number."""
    return max(1, min(request.args.get("page", 1, type=int) or 1, MAX_PAGE))


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_links(endpoint: str, **fixed: Any) -> Callable[[int], str]:
    """Pagination links (for ``_pager.html``) that keep the form's fields."""
    kept: dict[str, Any] = {k: v for k, v in request.args.items()
                            if k != "page" and v.strip()}

    def link(page_no: int) -> str:
        return url_for(endpoint, **{**kept, **fixed, "page": page_no})

    return link


def same_site_path(target: str) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect).

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    ``/\t/evil.example/`` and ``/\\evil.example`` lead to another host: any control
    character, whitespace or backslash disqualifies the target, and what remains must be
    a path with neither scheme nor host.
    """
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\"
                         for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return None
    return target
