"""Login throttling: too many failures lock an account name or an IP address for a while.

Every attempt is a row of ``login_attempts``.  When an account reaches
``ACCOUNT_LIMIT.attempts`` failures within the window (counting only failures
since its last success), or an IP address reaches ``IP_LIMIT.attempts``, a
``LoginLock`` row refuses every further attempt, even with the right password,
until it expires.  Attempts refused during a lock are recorded but do not count
towards the next lock.  Second-factor codes are throttled the same way under
their own account name (:func:`code_account`), so a correct password never
resets the count of wrong codes.

Counting uses the ``(username, at)`` and ``(ip, at)`` indexes of ``login_attempts``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel import dates
from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.audit import Actor, actor_from_request, record_event
from core.db import Base, utcnow
from core.i18n import _, babel_locale, user_timezone
from core.security.models import LoginAttempt, User
from core.security.passwords import verify_password


@dataclass(frozen=True)
class Limit:
    """``attempts`` failures within ``window`` lock for ``lockout``."""

    attempts: int
    window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)


ACCOUNT_LIMIT = Limit(10)
IP_LIMIT = Limit(100)
#: Wrong second-factor codes (TOTP or recovery) allowed before the login is ended.
CODE_LIMIT = Limit(5)
_CODE_PREFIX = "2fa:"


class LoginLock(Base):
    """An account name (``account:…``) or an IP address (``ip:…``) refused until ``until``."""

    __tablename__ = "login_locks"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    until: Mapped[dt.datetime]


def account_name(login: str, username: str | None = None) -> str:
    """The name attempts are counted under: the user's username, else what was typed."""
    return (username or login).strip().lower()[:254]


def code_account(username: str) -> str:
    """The name second-factor code attempts of ``username`` are counted under."""
    return _CODE_PREFIX + account_name(username)


def _lock_key(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def locked_until(session: Session, account: str, ip: str) -> dt.datetime | None:
    """When the lock on ``account`` or ``ip`` ends, or ``None`` when neither is locked."""
    keys = [_lock_key("account", account), _lock_key("ip", ip)]
    rows = session.scalars(
        select(LoginLock.until).where(LoginLock.key.in_(keys), LoginLock.until > utcnow())
    )
    return max(rows, default=None)


def _count_failures(session: Session, kind: str, value: str, since: dt.datetime) -> int:
    """Failures of an account since its last success, or of an IP address, from ``since``."""
    column = LoginAttempt.username if kind == "account" else LoginAttempt.ip
    query = select(func.count()).where(
        column == value, LoginAttempt.at >= since, LoginAttempt.success.is_(False)
    )
    if kind == "account":
        last_success = session.scalar(
            select(func.max(LoginAttempt.id)).where(
                LoginAttempt.username == value,
                LoginAttempt.at >= since,
                LoginAttempt.success.is_(True),
            )
        )
        if last_success is not None:
            query = query.where(LoginAttempt.id > last_success)
    return session.scalar(query) or 0


def _lock_if_over(
    session: Session, kind: str, value: str, limit: Limit, now: dt.datetime
) -> dt.datetime | None:
    lock = session.get(LoginLock, _lock_key(kind, value))
    since = now - limit.window
    if lock is not None and lock.until > since:
        since = lock.until  # attempts refused during the last lock do not count again
    if _count_failures(session, kind, value, since) < limit.attempts:
        return None
    until = now + limit.lockout
    if lock is None:
        session.add(LoginLock(key=_lock_key(kind, value), until=until))
    else:
        lock.until = until
    return until


def record_success(session: Session, account: str, ip: str) -> None:
    """Record a successful attempt: the account's failure count starts again."""
    session.add(LoginAttempt(username=account, ip=ip, success=True, at=utcnow()))


def record_failure(
    session: Session, account: str, ip: str, actor: Actor, limit: Limit = ACCOUNT_LIMIT
) -> dt.datetime | None:
    """Record a failed attempt (audited); return the end of the lock it starts, if any."""
    now = utcnow()
    session.add(LoginAttempt(username=account, ip=ip, success=False, at=now))
    record_event(session, "login_failed", actor=actor, summary=account)
    session.flush()
    locks = {
        "account": _lock_if_over(session, "account", account, limit, now),
        "ip": _lock_if_over(session, "ip", ip, IP_LIMIT, now),
    }
    ends = []
    for kind, until in locks.items():
        if until is not None:
            subject = account if kind == "account" else ip
            record_event(session, "login_locked", actor=actor, summary=f"{kind} {subject}")
            ends.append(until)
    return max(ends, default=None)


def record_refusal(session: Session, account: str, ip: str, actor: Actor) -> None:
    """Record an attempt refused because of a lock (audited, not counted)."""
    session.add(LoginAttempt(username=account, ip=ip, success=False, at=utcnow()))
    record_event(session, "login_refused", actor=actor, summary=account)


def locked_message(request: Any, until: dt.datetime) -> str:
    """The translated "try again at …" message for a lock ending at ``until``."""
    time = dates.format_time(
        until, "short", tzinfo=user_timezone(request), locale=babel_locale(request)
    )
    return request.translate(
        _("Too many failed attempts. For your security, please try again after ${time}."),
        time=time,
    )


def check_current_password(request: Any, user: User, password: str) -> str | None:
    """None when ``password`` is ``user``'s; else why not (wrong, or too many attempts).

    Wrong passwords count as failed logins, so a left-open session cannot be
    used to guess the password.
    """
    session = request.dbsession
    account, ip = account_name(user.username), request.client_addr or ""
    until = locked_until(session, account, ip)
    if until is not None:
        record_refusal(session, account, ip, actor_from_request(request))
        return locked_message(request, until)
    if verify_password(user.password_hash, password):
        return None
    until = record_failure(session, account, ip, actor_from_request(request))
    if until is not None:
        return locked_message(request, until)
    return request.translate(_("The current password is not correct."))
