"""Password reset tokens: single use, valid for an hour, stored only as a hash.

A new request replaces the user's older tokens; using a token, changing the
password or resetting it deletes all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.security.models import User

TOKEN_LIFETIME = dt.timedelta(hours=1)


class PasswordResetToken(Base):
    """An outstanding password reset link of a user."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """A new raw token for ``user`` (older ones stop working); only its hash is stored."""
    revoke_tokens(session, user.id)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_hash(raw),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    session.flush()
    return raw


def find_token_user(session: Session, raw: str) -> User | None:
    """The active user a valid, unexpired token belongs to, or None."""
    if not raw or len(raw) > 100:
        return None
    token = session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash(raw))
    ).first()
    if token is None or token.expires_at <= utcnow():
        return None
    user = session.get(User, token.user_id)
    return user if user is not None and user.is_active else None


def revoke_tokens(session: Session, user_id: int) -> None:
    """Delete every reset token of a user."""
    session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user_id))
