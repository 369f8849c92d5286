"""Fixtures of the security unit tests: an in-memory database with the core's security tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import MetaData, create_engine
from sqlalchemy.orm import Session

from core.db import Base

#: The tables users, roles, grants and tokens need (audit_events: changes are audited).
SECURITY_TABLES = (
    "teams",
    "regions",
    "users",
    "roles",
    "role_grants",
    "user_roles",
    "user_regions",
    "api_tokens",
    "audit_events",
)


@pytest.fixture
def memory_session() -> Iterator[Callable[..., Session]]:
    """``memory_session(*metadata)``: a session on a fresh in-memory SQLite database.

    The database has the core's security tables and the tables of ``metadata``
    (a test's throwaway models, declared on their own ``MetaData``).
    """
    opened: list[Session] = []

    def make(*extra: MetaData) -> Session:
        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine, tables=[Base.metadata.tables[n] for n in SECURITY_TABLES])
        for metadata in extra:
            metadata.create_all(engine)
        opened.append(Session(engine))
        return opened[-1]

    yield make
    for session in opened:
        session.close()
        session.get_bind().dispose()
