"""The models and the migrations agree on this database (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

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


#: Tables whose rows are never deleted (users are deactivated) or that stay small.
NEVER_DELETED = {"users", "roles", "regions", "background_jobs"}


def test_every_foreign_key_to_deleted_rows_is_indexed(app):
    """Deleting a row makes the database look for rows that point at it: without an
    index leading with the pointing column, each delete reads the whole table (an
    undone import of 100,000 customers then takes hours)."""
    unindexed = []
    for table in Base.metadata.sorted_tables:
        leading = {index.expressions[0].name for index in table.indexes}
        leading |= {
            constraint.columns[0].name
            for constraint in table.constraints
            if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint))
        }
        for key in table.foreign_keys:
            if key.column.table.name not in NEVER_DELETED and key.parent.name not in leading:
                unindexed.append(f"{table.name}.{key.parent.name} -> {key.column.table.name}")
    assert not unindexed, unindexed
