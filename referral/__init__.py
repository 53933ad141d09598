"""LIVC case-referral engine: the Flask application."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # Imported here so that ``import referral.db`` (Alembic, tests) does not build the app.
    from referral.app import create_app as _create_app

    return _create_app(config)


__all__ = ["create_app"]
