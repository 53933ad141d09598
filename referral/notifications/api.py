from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields, validate

from referral.core import db
from referral.core.actor import current_actor
from referral.core.schemas import InputSchema, OutputSchema, PageQuery
from referral.notifications import services
from referral.notifications.services import RHYTHMS
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


class DigestIn(InputSchema):
    rhythm = fields.String(required=True, validate=validate.OneOf(RHYTHMS))


class DigestOut(OutputSchema):
    rhythm = fields.String()
    last_sent_at = fields.AwareDateTime(allow_none=True)


@route(bp, "/notifications/digest", "GET", action="self:read", response=DigestOut,
       summary="How often your digest of forgotten cases comes (daily, weekly or off)")
def get_digest() -> Any:
    return services.digest_setting(db.session(), current_actor())


@route(bp, "/notifications/digest", "PUT", action="self:read", body=DigestIn,
       response=DigestOut, summary="Choose your digest's rhythm: daily, weekly or off")
def put_digest(body: dict[str, Any]) -> Any:
    return services.set_digest_rhythm(db.session(), current_actor(), body["rhythm"])
