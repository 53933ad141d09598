"""Problems (RFC 9457) raised by services and rendered as application/problem+json.

Services raise these; routes never build error responses by hand.  Messages
never carry personal data or secrets: they name fields, rules and guards.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://livc-referral.example/problems/"


class Problem(Exception):
    status = 500
    slug = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **{k: v for k, v in self.extra.items() if not k.startswith("_")},
        }


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(Problem):
    """Related to the resource, but the action is not allowed: names the rule."""

    status, slug, title = 403, "forbidden", "Not allowed"

    def __init__(self, detail: str, rule: str, **extra: Any) -> None:
        super().__init__(detail, rule=rule, **extra)
        self.rule = rule


class NotFound(Problem):
    """No such resource, or no relation to it (existence is not leaked).

    The detail is the same fixed text whatever the caller passes: a wording that
    differs between "no such case" and "no relation" would tell an outsider which
    ids exist.  The argument stays for the reader of the code.
    """

    status, slug, title = 404, "not-found", "Not found"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__("Not found.", **extra)


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(Problem):
    status, slug, title = 410, "gone", "Gone"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(Problem):
    """422 with ``errors: {field: [messages]}``."""

    status, slug, title = 422, "validation-failed", "Validation failed"

    def __init__(self, errors: dict[str, Any], detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or "The request has invalid fields.", errors=errors, **extra)
        self.errors = errors


class GuardFailed(Problem):
    """A workflow guard refused the transition: 422 with the guard's name."""

    status, slug, title = 422, "guard-failed", "Guard failed"

    def __init__(self, guard: str, detail: str) -> None:
        super().__init__(detail, guard=guard)
        self.guard = guard


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(max(1, retry_after))


class ServiceUnavailable(Problem):
    status, slug, title = 503, "unavailable", "Service unavailable"


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})
