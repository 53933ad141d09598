"""Shared marshmallow building blocks.

Every input schema raises on unknown fields (marshmallow's RAISE), so a typo
in a field name is a 422, not a silently ignored value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate


class InputSchema(Schema):
    class Meta:
        unknown = RAISE


class OutputSchema(Schema):
    pass


def text(max_len: int, *, required: bool = True, min_len: int = 1, **kw: Any) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=min_len, max=max_len),
                         **kw)


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class StringOrList(fields.Field):
    """Accepts ``"44021"`` or ``["44021", "44084"]``; loads as a list of strings."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise ValidationError("Give a NIS code or a non-empty list of NIS codes.")
        for item in items:
            if not (len(item) == 5 and item.isdigit()):
                raise ValidationError(f"{item!r} is not a 5-digit NIS code.")
        return list(dict.fromkeys(items))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class PageSchema(OutputSchema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class Instant(fields.AwareDateTime):
    """A point in time, as UTC; one without an offset is taken as UTC.

    A value whose UTC equivalent falls outside the calendar (``9999-12-31T23:00-12:00``,
    ``0001-01-01T00:00+14:00``) is a 422 naming the field, not an overflow further on.
    """

    default_error_messages = {"range": "Not a date and time that can be represented in UTC."}

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("default_timezone", UTC)
        super().__init__(**kw)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> datetime:
        parsed: datetime = super()._deserialize(value, attr, data, **kw)
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise self.make_error("range") from None
