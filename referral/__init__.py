"""LIVC case-referral engine: the Flask application."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # ``flask --app referral`` finds the factory here; importing every feature only when it
    # is called keeps ``import referral.core.db`` (Alembic, tests, the benchmark) light.
    from referral.app import create_app as _create_app  # noqa: PLC0415 - start-up, see above

    return _create_app(config)


__all__ = ["create_app"]
