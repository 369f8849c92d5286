"""Personal API tokens: shown once, stored hashed, limited to a subset of permissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.security.models import ApiToken, User

TOKEN_PREFIX = "gx_"


def hash_token(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session,
    user: User,
    name: str,
    permissions: list[str],
    expires_days: int | None = 90,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the record and the raw value (shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:10],
        permissions=sorted(set(permissions)),
        expires_at=utcnow() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    session.flush()
    return token, raw


def authenticate_token(session: Session, raw: str) -> tuple[User, ApiToken] | None:
    """The active user and usable token behind a raw bearer value, or ``None``."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if token is None or not token.is_usable():
        return None
    user = token.user
    if not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        token.last_used_at = now
    return user, token
