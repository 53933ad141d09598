"""The one blueprint of the accounts feature's pages: ``pages.py`` (login, second factor,
logout, language) and ``account_pages.py`` (the user's own account, step-up) both add
their routes to it, so neither imports the other's routes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
