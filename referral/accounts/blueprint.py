"""The accounts feature's one API blueprint: ``api.py`` (login, users, tokens, sessions)
and ``mfa_api.py`` (second factor) both add their routes to it, so neither imports the
other."""

from __future__ import annotations

from referral.web.api import api_blueprint

bp = api_blueprint("accounts")
