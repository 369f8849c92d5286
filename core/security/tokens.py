"""Personal API tokens: shown once, stored hashed, limited to a subset of permissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from translationstring import TranslationString

from core.audit import record_event
from core.db import utcnow
from core.i18n import _
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


# -- issuing and revoking (shared by the account page and the CLI) -------------

MAX_EXPIRY_DAYS = 365


class TokenError(ValueError):
    """A token request breaks a rule; ``field`` names the input, ``message`` says why."""

    def __init__(self, field: str, message: TranslationString) -> None:
        super().__init__(message.interpolate())
        self.field = field
        self.message = message


def issue_token(
    session: Session,
    user: User,
    name: str,
    permissions: list[str],
    expires_days: int | None,
    held: Iterable[str],
) -> tuple[ApiToken, str]:
    """Create an audited token limited to ``permissions``, each of which the user must hold.

    ``held`` is the user's current permissions; ``expires_days`` is 1–365 or ``None`` (never).
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("name", _("Give the token a name of 1 to 100 characters."))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenError("expires_days", _("A token expires after 1 to 365 days, or never."))
    if not permissions:
        raise TokenError("permissions", _("Choose at least one permission."))
    foreign = sorted(set(permissions) - set(held))
    if foreign:
        raise TokenError(
            "permissions",
            _(
                "A token cannot hold permissions its user does not have: ${names}.",
                mapping={"names": ", ".join(foreign)},
            ),
        )
    token, raw = create_token(session, user, name, permissions, expires_days)
    record_event(
        session,
        "token_created",
        record_type=ApiToken.__tablename__,
        record_id=token.id,
        summary=f"{user.username}: {name}",
        changes={
            "permissions": token.permissions,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return token, raw


def revoke_token(session: Session, token: ApiToken) -> bool:
    """Revoke ``token`` at once (audited); ``False`` when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record_event(
        session,
        "token_revoked",
        record_type=ApiToken.__tablename__,
        record_id=token.id,
        summary=f"{token.user.username}: {token.name}",
    )
    return True
