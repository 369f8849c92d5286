"""The models and the migrations agree on this database (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import core.models  # noqa: F401
from core.db import Base
from core.migrate import head_revisions
from core.search import include_in_autogenerate


def test_autogenerate_finds_no_difference(app):
    engine = app.registry["dbengine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_autogenerate}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_database_is_at_every_branch_head(app):
    engine = app.registry["dbengine"]
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    assert current == head_revisions(app.registry["modules"])
