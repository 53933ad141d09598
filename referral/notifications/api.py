from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields

from referral.core import db
from referral.core.actor import current_actor
from referral.core.schemas import OutputSchema, PageQuery
from referral.notifications import services
from referral.web.api import api_blueprint, route

bp = api_blueprint("notifications")


class NotificationOut(OutputSchema):
    id = fields.UUID()
    kind = fields.String()
    message = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class NotificationQuery(PageQuery):
    unread = fields.Boolean(load_default=False)


@route(bp, "/notifications", "GET", action="self:read", query=NotificationQuery,
       response=NotificationOut, paginated=True, summary="Your notifications")
def list_notifications(query: dict[str, Any]) -> Any:
    return services.list_for(db.session(), current_actor(), query["unread"], query["page"],
                             query["per_page"])


@route(bp, "/notifications/<uuid:notification_id>/read", "POST", action="self:read",
       response=NotificationOut, summary="Mark a notification read")
def mark_read(notification_id: uuid.UUID) -> Any:
    return services.mark_read(db.session(), current_actor(), notification_id)
