"""Server-side login sessions stored in the database, so every worker sees them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.db import DatabaseLocked, utcnow
from core.security.models import AuthSession

COOKIE_NAME = "gx_session"
#: ``last_seen_at`` is written at most this often, not on every request.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


def hash_session_id(raw: str) -> str:
    """The stored form of a session cookie value."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _timeouts(settings: dict[str, Any]) -> tuple[dt.timedelta, dt.timedelta]:
    idle = dt.timedelta(minutes=float(settings.get("guanxi.session_idle_minutes", 30)))
    absolute = dt.timedelta(hours=float(settings.get("guanxi.session_absolute_hours", 12)))
    return idle, absolute


def start_session(request: Any, user_id: int, verified: bool = True) -> str:
    """Create a session for ``user_id`` and set its cookie; returns the raw id."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    _idle, absolute = _timeouts(request.registry.settings)
    request.dbsession.add(
        AuthSession(
            id=hash_session_id(raw),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute,
            ip=request.client_addr,
            user_agent=(request.user_agent or "")[:300],
            verified=verified,
        )
    )
    request.dbsession.flush()
    set_session_cookie(request, raw)
    return raw


def set_session_cookie(request: Any, raw: str | None) -> None:
    """Set (or with ``None`` clear) the session cookie on the response."""
    secure = request.registry.settings.get("guanxi.base_url", "").startswith("https")

    def callback(_request: Any, response: Any) -> None:
        if raw is None:
            response.delete_cookie(COOKIE_NAME, path="/")
        else:
            response.set_cookie(
                COOKIE_NAME, raw, path="/", httponly=True, samesite="Lax", secure=secure
            )

    request.add_response_callback(callback)


def load_session(request: Any) -> AuthSession | None:
    """The live session named by the request's cookie, refreshed; expired ones are removed."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    session: Session = request.dbsession
    record = session.get(AuthSession, hash_session_id(raw))
    if record is None:
        return None
    idle, _absolute = _timeouts(request.registry.settings)
    now = utcnow()
    if record.expires_at <= now or record.last_seen_at + idle <= now:
        session.delete(record)
        return None
    if now - record.last_seen_at > TOUCH_INTERVAL:
        _touch(session, record, now)
    return record


def _touch(session: Session, record: AuthSession, now: Any) -> None:
    """Note that the session is in use, if the database lets us write now.

    A reading request on SQLite cannot take the write lock another process holds;
    the touch is then left to the session's next request instead of failing this one.
    """
    try:
        with session.begin_nested():
            record.last_seen_at = now
            session.flush()
    except DatabaseLocked:
        pass


def end_session(request: Any) -> None:
    """Log out: delete the current session and clear the cookie."""
    raw = request.cookies.get(COOKIE_NAME)
    if raw:
        request.dbsession.execute(delete(AuthSession).where(AuthSession.id == hash_session_id(raw)))
    set_session_cookie(request, None)


def end_user_sessions(session: Session, user_id: int) -> None:
    """End every session of a user (deactivation, password change)."""
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
