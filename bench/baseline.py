"""``POST /bench/insert``: the plumbed baseline the real operations are compared with.

It goes through the same plumbing as every API route (bearer token lookup, actor-level
policy check, one transaction) and then does one ORM insert and the commit: no case, no
facts, no audit event.  Registered by ``bench/wsgi.py`` only when ``REFERRAL_BENCH=1``;
bearer tokens only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from referral.core import db, errors
from referral.core.actor import current_actor
from referral.notifications.models import Notification
from referral.web.api import route

bp = Blueprint("bench", __name__, url_prefix="/bench")


@route(bp, "/insert", "POST", action="self:read", status=201,
       summary="Benchmark baseline: one ORM insert and commit (REFERRAL_BENCH only)")
def insert() -> Any:
    if not getattr(current_user, "via_token", False):
        raise errors.Unauthorized("The benchmark endpoint takes a bearer token only.")
    s = db.session()
    row = Notification(user_id=current_actor().user_id, kind="bench",
                       message="benchmark baseline insert", link=None)
    s.add(row)
    s.flush()
    return {"id": str(row.id)}
