"""Assertions shared by the tests."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, **expected: Any) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and these fields)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM, response.mimetype
    body: dict[str, Any] = response.get_json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, body
    assert body["status"] == status
    for key, value in expected.items():
        assert body.get(key) == value, body
    return body
