"""What the database keeps about imports: each run, the records it touched, saved mappings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONType, utcnow

#: ``draft`` (uploaded, being mapped) → ``queued`` → ``running`` → one of the outcomes:
#: ``done`` (applied), ``checked`` (dry run), ``not_applied`` (rows failed, nothing
#: written), ``failed`` (the file could not be read); ``undone`` after an undo.
IMPORT_STATES = ("draft", "queued", "running", "done", "checked", "not_applied", "failed", "undone")
DUPLICATE_POLICIES = ("skip", "update", "create")


class DataImport(Base):
    """One import of a file into a record type, from upload to result (and undo)."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    #: Folder of the upload (and the error file) under ``<var>/imports``.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_format: Mapped[str] = mapped_column(String(8))
    size: Mapped[int]
    encoding: Mapped[str | None] = mapped_column(String(32))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    sheet: Mapped[str | None] = mapped_column(String(100))
    #: The header texts of the file, and the field key each column goes to ("" = ignored).
    header: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    mapping: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    on_duplicate: Mapped[str] = mapped_column(String(8), default="skip")
    match_keys: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    valid_rows_only: Mapped[bool] = mapped_column(default=False)
    dry_run: Mapped[bool] = mapped_column(default=False)
    #: The language of the error file and messages (the user's at the time).
    locale: Mapped[str] = mapped_column(String(16), default="en")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    job_id: Mapped[int | None] = mapped_column(ForeignKey("background_jobs.id"))
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    #: Why the file could not be read: ``{"message": msgid, "mapping": {...}}``.
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    has_error_file: Mapped[bool] = mapped_column(default=False)
    finished_at: Mapped[dt.datetime | None]
    undone_at: Mapped[dt.datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ImportedRecord(Base):
    """A record an import created or updated: the link back to the import, and what undo needs.

    ``version`` is the record's version right after the import (undo is refused
    once somebody changed it); ``before`` holds an updated record's previous values.
    """

    __tablename__ = "import_records"
    __table_args__ = (Index("ix_import_records_record", "record_type", "record_id"),)

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class SavedMapping(Base):
    """A user's remembered column choices for a record type: normalised header → field key."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("user_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    columns: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
