"""One blueprint for the meeting feature: its JSON API and its pages."""

from __future__ import annotations

from flask import Blueprint

from referral.meetings import (
    decision_pages,  # noqa: F401 - adds the decision and feedback forms to pages.bp
    livc_pages,  # noqa: F401 - adds the LIVC overview and planning to pages.bp
    meeting_pages,  # noqa: F401 - adds the meeting list and workspace to pages.bp
)
from referral.meetings.api import bp as api
from referral.meetings.pages import bp as web

bp = Blueprint("meetings", __name__)
bp.register_blueprint(api)
bp.register_blueprint(web)
