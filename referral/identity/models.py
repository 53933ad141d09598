"""The vault's table: per-case data keys, stored only wrapped by a master key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from referral.core.columns import Base, now_column, uuid_pk


class DataKey(Base):
    """A per-case data key, stored only wrapped by a master key of the key ring.

    Destroying it (``wrapped_key`` set to NULL) crypto-shreds everything the
    case encrypted under it.
    """

    __tablename__ = "data_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    master_key_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = now_column()
    destroyed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
