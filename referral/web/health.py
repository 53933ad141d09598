"""Liveness and readiness probes (public: they reveal nothing but up/down)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from referral.core import db, migrate

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


healthz.policy_action = "public:health"  # type: ignore[attr-defined]


@bp.get("/readyz")
def readyz() -> Response:
    database = db.database()
    try:
        current = migrate.current_revision(database.engine)  # one round trip: reachable?
    except Exception:
        return _unready("database unreachable")
    head = migrate.head_revision(database.url)
    if current != head:
        return _unready("database not migrated to head")
    return jsonify({"status": "ready", "revision": current})


readyz.policy_action = "public:health"  # type: ignore[attr-defined]


def _unready(reason: str) -> Response:
    response = jsonify({"status": "unavailable", "reason": reason})
    response.status_code = 503
    return response
