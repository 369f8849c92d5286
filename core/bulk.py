"""Bulk writes for generated or imported rows: COPY on PostgreSQL, executemany on SQLite.

One ORM object per row costs ~12 µs of Python before the database sees it;
these paths hand rows straight to the driver.  Rows are tuples in the order of
``columns`` holding what the ORM would store: aware datetimes (stored as UTC),
dicts for JSON columns, ``Decimal`` for money.  Nothing here fires ORM events:
callers keep derived data (the search index, audit, counters) current themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, select, text

from core.db import UTCDateTime

Row = Sequence[Any]
#: Page cache of a loading SQLite connection (KiB).
LOADING_CACHE_KIB = 1024 * 1024


def _utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(dt.UTC).replace(tzinfo=None)


def _pg_converters(table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """Per column, what turns a Python value into what COPY writes (None: as it is)."""
    from psycopg.types.json import Jsonb

    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, UTCDateTime):
            converters.append(_utc_naive)
        elif isinstance(column_type, JSON) or isinstance(
            getattr(column_type, "impl_instance", None), JSON
        ):
            converters.append(lambda value: None if value is None else Jsonb(value))
        else:
            converters.append(None)
    return converters


def _copy(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Row]) -> int:
    converters = _pg_converters(table, columns)
    quoted = ", ".join(f'"{name}"' for name in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    written = 0
    with cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    value if convert is None else convert(value)
                    for value, convert in zip(row, converters, strict=True)
                ]
            )
            written += 1
    return written


def _executemany(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Row]
) -> int:
    """SQLite: the columns' own bind processors, then one DB-API ``executemany``."""
    dialect = connection.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    batch = [
        tuple(
            value if process is None else process(value)
            for value, process in zip(row, processors, strict=True)
        )
        for row in rows
    ]
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" for _name in columns)
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(statement, batch)
    finally:
        cursor.close()
    return len(batch)


def write_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Row]
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``; return how many.

    PostgreSQL streams them with ``COPY``; SQLite takes one ``executemany`` of
    values converted by the columns' types, as SQLAlchemy would store them.
    Explicit ids are fine on both; on PostgreSQL call :func:`reset_sequence`
    afterwards so that the next ORM insert does not collide.
    """
    if connection.dialect.name == "postgresql":
        return _copy(connection, table, columns, rows)
    return _executemany(connection, table, columns, rows)


def prepare_for_loading(connection: Connection) -> None:
    """Settings of this connection for a long bulk load.

    SQLite keeps 2 MB of pages per connection by default: every insert into a
    big index then reads from the OS.  A loader's one connection may keep 1 GB.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{LOADING_CACHE_KIB}")


def next_id(connection: Connection, table: Table) -> int:
    """The first id after the highest one ``table`` holds (1 when it is empty)."""
    return int(connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def reset_sequence(connection: Connection, table: Table) -> None:
    """PostgreSQL: move ``table``'s id sequence past the rows written with explicit ids."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(
        text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :next, false)"),
        {"table": table.name, "next": next_id(connection, table)},
    )


def analyze(connection: Connection) -> None:
    """Refresh the planner's statistics after a bulk load (both databases plan by them)."""
    connection.execute(text("ANALYZE"))
