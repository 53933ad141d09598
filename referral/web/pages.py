"""What every server-rendered page uses: the policy declaration and the pager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
