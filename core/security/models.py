"""Users, teams, regions, roles and their grants, login sessions and API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import EncryptedString
from core.db import Base, JSONType, RecordMixin, utcnow

user_roles = Table(
    "user_roles",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)

user_regions = Table(
    "user_regions",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("regions.code", ondelete="CASCADE"), primary_key=True),
)


class Team(RecordMixin, Base):
    """A node of the team tree; ``path`` (``/1/4/``) makes subtree queries cheap."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="", index=True)

    parent: Mapped[Team | None] = relationship(remote_side="Team.id")

    def __str__(self) -> str:
        return self.name


class Region(Base):
    """An administrative division (province → city → district) or a custom region."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    #: 1 province, 2 city, 3 district; custom regions choose their level.
    level: Mapped[int] = mapped_column(Integer, default=1)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.name


class User(RecordMixin, Base):
    """Somebody who logs in."""

    __tablename__ = "users"
    #: Bookkeeping columns left out of the audit trail (logins are audited as events).
    __audit_exclude__ = ("last_login_at", "totp_last_step")

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    last_login_at: Mapped[dt.datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(200))
    totp_last_step: Mapped[int | None]
    recovery_codes: Mapped[list[str] | None] = mapped_column(JSONType)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, order_by="Role.id")
    regions: Mapped[list[Region]] = relationship(secondary=user_regions, order_by="Region.code")

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def __str__(self) -> str:
        return self.name


class Role(RecordMixin, Base):
    """A named set of permission grants; default roles have a ``key``."""

    __tablename__ = "roles"

    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="role", cascade="all, delete-orphan", order_by="RoleGrant.permission"
    )

    def __str__(self) -> str:
        return self.name


class RoleGrant(Base):
    """One permission of a role with its data scope.

    ``edited`` marks a grant an administrator changed: module defaults never
    overwrite it.  A grant revoked by an administrator stays as a row with
    ``scope=None`` so that re-applying defaults does not bring it back.
    """

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("role_id", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    permission: Mapped[str] = mapped_column(String(128), index=True)
    scope: Mapped[str | None] = mapped_column(String(16))
    edited: Mapped[bool] = mapped_column(Boolean, default=False)

    role: Mapped[Role] = relationship(back_populates="grants")


class AuthSession(Base):
    """A server-side login session; the cookie holds its random id, the table its hash."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    #: False until the second factor is given, for users with TOTP.
    verified: Mapped[bool] = mapped_column(Boolean, default=True)


class LoginAttempt(Base):
    """A login attempt, kept for throttling and for the security log."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64), default="")
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(RecordMixin, Base):
    """A personal API token: stored as a hash, limited to a subset of permissions."""

    __tablename__ = "api_tokens"
    #: Never written in clear to the audit trail.
    __sensitive__ = ("token_hash",)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    permissions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        """Not revoked and not expired."""
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
