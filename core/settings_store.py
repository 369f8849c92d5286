"""System settings an administrator changes at run time, stored as JSON values by key.

Settings from the ini file and the environment are fixed per deployment
(``core.config``); these are the ones the settings pages edit, so every worker
process sees a change at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, JSONType, utcnow

#: Whether users holding administrative permissions must use two-factor authentication.
REQUIRE_ADMIN_TWO_FACTOR = "security.require_admin_two_factor"


class SystemSetting(Base):
    """One setting: a key and its JSON value."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    """The value stored under ``key``, or ``default`` when none is."""
    row = session.get(SystemSetting, key)
    return default if row is None else row.value


def set_setting(session: Session, key: str, value: Any) -> None:
    """Store ``value`` (anything JSON can hold) under ``key``."""
    row = session.get(SystemSetting, key)
    if row is None:
        session.add(SystemSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()
