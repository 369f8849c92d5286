"""Indexes for the foreign-key checks of deleted customers and contacts

Deleting a customer (an undone import, a purge) makes the database look for
customers merged into it, and deleting a contact for its follow-ups; without
an index each of those lookups reads the whole table.

Revision ID: b5e1c7a2d9f4
Revises: fa2284b8e348
Create Date: 2026-12-08 03:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5e1c7a2d9f4"
down_revision: str | Sequence[str] | None = "fa2284b8e348"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MERGED = sa.text("merged_into_id IS NOT NULL")
WITH_CONTACT = sa.text("contact_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_customers_merged_into",
        "customers",
        ["merged_into_id"],
        sqlite_where=MERGED,
        postgresql_where=MERGED,
    )
    op.create_index(
        "ix_follow_ups_contact",
        "follow_ups",
        ["contact_id"],
        sqlite_where=WITH_CONTACT,
        postgresql_where=WITH_CONTACT,
    )


def downgrade() -> None:
    op.drop_index("ix_follow_ups_contact", table_name="follow_ups")
    op.drop_index("ix_customers_merged_into", table_name="customers")
