"""Users, role assignments, server-side sessions and personal API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from policies.vocabulary import LIVC_ROLES, ROLES, SECURITY_CLEARANCES
from referral.core.columns import Base, enum_check, now_column, quote, uuid_pk
from referral.organisations.models import Organisation


class User(Base):
    __tablename__ = "users"
    __table_args__ = (enum_check("security_clearance", SECURITY_CLEARANCES),
                      enum_check("locale", ("nl", "en"), nullable=True),
                      enum_check("digest_rhythm", ("daily", "weekly", "off")))

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Only for content-free notices ("a referral awaits your organisation").
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    security_clearance: Mapped[str] = mapped_column(String(20), default="none")
    # The pages' language ("nl" or "en"); None until the user chooses (then the browser's).
    locale: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # How often the "nothing peters out" digest comes (referral.ops.digest), and when last.
    digest_rhythm: Mapped[str] = mapped_column(String(10), default="weekly")
    digest_sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=True)
    # TOTP secret, encrypted with the master key ring (never stored in clear).
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    mfa_enrolled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The user's data key (wrapped by the master key ring, re-wrapped by `keys rotate`).
    totp_data_key_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("data_keys.id"), nullable=True)
    # A secret being enrolled, active only once a first code confirms it (same encryption).
    totp_pending_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The last TOTP time step accepted: a code is good once (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    password_changed_at: Mapped[datetime] = now_column()
    created_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def mfa_enrolled(self) -> bool:
        return self.mfa_enrolled_at is not None


class RoleAssignment(Base):
    """A role held by a user; LIVC roles are scoped to one LIVC, other roles to none."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        enum_check("role", ROLES),
        CheckConstraint(
            f"(role IN ({quote(LIVC_ROLES)})) = (livc_id IS NOT NULL)", name="livc_scope"
        ),
        UniqueConstraint("user_id", "role", "livc_id", name="role_once"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    livc_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("livcs.id"), nullable=True, index=True
    )
    granted_at: Mapped[datetime] = now_column()

    user: Mapped[User] = relationship(back_populates="roles")


class UserSession(Base):
    """A login session; the cookie holds a random id, the table only its hash."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_open", "user_id", "ended_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = now_column()
    last_seen_at: Mapped[datetime] = now_column()
    mfa_verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = now_column()
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LoginThrottle(Base):
    """Failed logins for a username that names no account, counted like an account's.

    Without it an unknown username answered 401 forever while a real one answered 429
    after five failures: the lockout told which usernames exist.  The username is kept
    only as a keyed hash (a mistyped password in the username field is not stored).
    """

    __tablename__ = "login_throttles"

    username_key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = now_column()
