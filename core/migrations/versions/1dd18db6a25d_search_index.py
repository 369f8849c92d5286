"""search index (hand-written: dialect-specific, see core/search.py)

Revision ID: 1dd18db6a25d
Revises: 05b90d7624cc
Create Date: 2026-11-25 05:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "1dd18db6a25d"
down_revision: str | Sequence[str] | None = "05b90d7624cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    "CREATE TABLE search_entries ("
    " id INTEGER PRIMARY KEY,"
    " record_type VARCHAR(64) NOT NULL,"
    " record_id INTEGER NOT NULL,"
    " UNIQUE (record_type, record_id))",
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "terms, tokenize = \"unicode61 remove_diacritics 0 tokenchars '@.%+-_'\")",
]
POSTGRESQL = [
    "CREATE TABLE search_entries ("
    " record_type VARCHAR(64) NOT NULL,"
    " record_id INTEGER NOT NULL,"
    " terms TEXT[] NOT NULL,"
    " PRIMARY KEY (record_type, record_id))",
    "CREATE INDEX ix_search_entries_terms ON search_entries USING gin (terms)",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE if sqlite else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.execute("DROP TABLE search_entries")
