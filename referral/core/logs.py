"""The application's log: one JSON object per line, with the request id and the actor.

Time, level, logger and message, plus ``request_id`` and ``actor_id`` when a request is
being served: enough to follow one request across instances and to the audit ledger (whose
events carry the same request id).  Never personal data: messages name ids, types and
counts, and exception text -- which may quote a value -- is not logged (``app.py``).
``REFERRAL_LOG_FORMAT=text`` gives plain lines for a developer's terminal.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import g, has_request_context
from pythonjsonlogger.json import JsonFormatter

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


class RequestContext(logging.Filter):
    """Adds the request id and the actor's user id to every record made in a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            actor = g.get("actor")
            record.actor_id = str(actor.user_id) if getattr(actor, "user_id", None) else None
        return True


def handler(fmt: str) -> logging.Handler:
    out = logging.StreamHandler(sys.stderr)
    out.addFilter(RequestContext())
    if fmt == "json":
        out.setFormatter(JsonFormatter(FIELDS, rename_fields=RENAMED,
                                       timestamp=False, json_ensure_ascii=False))
    else:
        out.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s "
                                           "[%(request_id)s] %(message)s", defaults={
                                               "request_id": "-"}))
    return out


def configure(config: Any) -> None:
    """Install our handler on the ``referral`` logger (idempotent per process)."""
    fmt = str(config.get("LOG_FORMAT") or ("json" if config.get("ENV") == "production"
                                             else "text"))
    logger = logging.getLogger("referral")
    for existing in list(logger.handlers):
        if getattr(existing, "_referral", False):
            logger.removeHandler(existing)
    new = handler(fmt)
    new._referral = True  # type: ignore[attr-defined]
    logger.addHandler(new)
    logger.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())
    logger.propagate = False
