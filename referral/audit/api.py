"""The auditor's API: events, verification, checkpoints."""

from __future__ import annotations

from referral.api import api_blueprint

bp = api_blueprint("audit")
