"""One blueprint for the meeting feature: its JSON API and its pages."""

from __future__ import annotations

from flask import Blueprint

from referral.meetings.api import bp as api
from referral.meetings.pages import bp as web

bp = Blueprint("meetings", __name__)
bp.register_blueprint(api)
bp.register_blueprint(web)
