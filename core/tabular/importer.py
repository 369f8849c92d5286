"""The part of an import a module writes, and the bulk mechanics the core supplies.

A module subclasses :class:`Importer` for each record type it offers: it
checks rows (:meth:`Importer.check`), says which existing records the user may
update (:meth:`Importer.reachable`) and keeps what depends on its records
current after a batch is written (:meth:`Importer.written`, e.g. the search
index).  Creating, updating, deleting and restoring records happen here, in
batches through SQLAlchemy Core (one statement per batch, not one ORM object
per row), with the bookkeeping columns every ``RecordMixin`` table carries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from core.audit import jsonable
from core.contributions import TabularField, TabularType
from core.db import utcnow


@dataclass
class Checked:
    """One row after checking.

    ``values`` are the columns of a new record (defaults filled in), ``changes``
    what an update writes (only what the row gives), ``keys`` the values of the
    match keys the row has, ``errors`` field key (``""``: the row) → messages.
    ``missing`` names required fields the row leaves blank: that fails the row
    only if it creates a record (an update may leave them out).
    """

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def as_tuple(self) -> tuple[Any, ...]:
        """The row as plain values (pickled much faster than the object)."""
        return (self.number, self.values, self.changes, self.keys, self.errors, self.missing)

    @classmethod
    def from_tuple(cls, values: tuple[Any, ...]) -> Checked:
        """The row :meth:`as_tuple` gave."""
        return cls(*values)

    def fail(self, key: str, message: Any) -> None:
        """Add an error for ``key`` (a field key, or ``""`` for the whole row)."""
        self.errors.setdefault(key, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


class Importer:
    """A record type's import rules (subclassed by modules) on top of bulk writes.

    ``model`` is the record's mapped class (a ``RecordMixin`` table); records with
    a ``deleted_at`` column are matched only while not deleted.  ``key_columns``
    maps match keys to columns where they are not columns of the same name.
    """

    model: Any = None
    key_columns: dict[str, Any] = {}

    def __init__(self, request: Any, tabular_type: TabularType) -> None:
        self.request = request
        self.type = tabular_type
        self.session = request.dbsession

    # -- the module's rules ---------------------------------------------------

    def fields(self) -> list[TabularField]:
        """The importable fields, in the order of the template's columns."""
        raise NotImplementedError

    def check(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> list[Checked]:
        """Check a batch of ``(row number, {field key: cell})``; one :class:`Checked` each."""
        raise NotImplementedError

    def reachable(self, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` the user may update with the type's import permission."""
        raise NotImplementedError

    def written(self, created: Sequence[int], updated: Sequence[int]) -> None:
        """Called after a batch of records was created or updated (or restored by an undo)."""

    def removed(self, ids: Sequence[int]) -> None:
        """Called after an undo deleted the records ``ids``, before its transaction ends."""

    # -- finding --------------------------------------------------------------

    @property
    def table(self) -> Any:
        return self.model.__table__

    def live(self) -> list[Any]:
        """The WHERE clauses of records that count (not deleted).

        Written as ``coalesce(deleted_at, deleted_at) IS NULL`` so that SQLite
        (without statistics) finds the rows through the compared column's index
        rather than walking every live record through a ``(deleted_at, …)`` one.
        """
        deleted = self.table.c.get("deleted_at")
        return [] if deleted is None else [func.coalesce(deleted, deleted).is_(None)]

    def key_column(self, key: str) -> Any:
        """The column a match key is compared with."""
        return self.key_columns.get(key) or self.table.c[key]

    def existing(self, key: str, values: Iterable[Any]) -> dict[Any, list[int]]:
        """Live records whose match ``key`` has one of ``values``: value → ids (ascending)."""
        wanted = sorted({value for value in values if value not in (None, "")})
        found: dict[Any, list[int]] = {}
        if not wanted:
            return found
        column = self.key_column(key)
        for start in range(0, len(wanted), 500):
            query = select(self.table.c.id, column).where(
                column.in_(wanted[start : start + 500]), *self.live()
            )
            for record_id, value in self.session.execute(query.order_by(self.table.c.id)):
                found.setdefault(value, []).append(record_id)
        return found

    def taken(self, key: str, values: Iterable[Any]) -> set[Any]:
        """Those of ``values`` that any record (deleted ones too) has in its unique ``key``."""
        wanted = sorted({value for value in values if value not in (None, "")})
        column = self.key_column(key)
        found: set[Any] = set()
        for start in range(0, len(wanted), 500):
            query = select(column).where(column.in_(wanted[start : start + 500]))
            found.update(self.session.scalars(query))
        return found

    def versions(self, ids: Sequence[int]) -> dict[int, int]:
        """The current version of each of ``ids`` that still exists."""
        table = self.table
        result: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            query = select(table.c.id, table.c.version).where(
                table.c.id.in_(ids[start : start + 500])
            )
            result.update(self.session.execute(query).all())
        return result

    # -- writing --------------------------------------------------------------

    def _stamp(self, row: dict[str, Any], now: dt.datetime, *, new: bool) -> dict[str, Any]:
        user_id = self.request.identity.user_id if self.request.identity else None
        stamped = {**row, "updated_at": now, "updated_by_id": user_id}
        if new:
            stamped.update(created_at=now, created_by_id=user_id, version=1)
        return stamped

    def create(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` (column → value) in a few statements; their new ids, in order."""
        if not rows:
            return []
        now = utcnow()
        columns = sorted({name for row in rows for name in row})
        full = [
            self._stamp({name: row.get(name) for name in columns}, now, new=True) for row in rows
        ]
        return inserted_ids(self.session, insert(self.table), full)

    def update(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict, int]]:
        """Apply ``(id, {column: value})`` changes; ``(id, before values, new version)`` of
        each record that really changed (``custom`` values are merged, not replaced).

        Raises ``RuntimeError`` when a record changed meanwhile (its version moved).
        """
        table = self.table
        ids = [record_id for record_id, _values in changes]
        names = sorted({name for _id, values in changes for name in values})
        if not ids:
            return []
        current = {
            row.id: row._mapping
            for start in range(0, len(ids), 500)
            for row in self.session.execute(
                select(table.c.id, table.c.version, *(table.c[name] for name in names)).where(
                    table.c.id.in_(ids[start : start + 500])
                )
            )
        }
        now = utcnow()
        done, statements = [], []
        for record_id, values in changes:
            stored = current[record_id]
            after = dict(values)
            if "custom" in after:
                after["custom"] = {**(stored["custom"] or {}), **after["custom"]}
            changed = {name: value for name, value in after.items() if stored[name] != value}
            if not changed:
                continue
            before = {name: stored[name] for name in changed}
            version = stored["version"]
            statements.append(
                {**self._stamp(changed, now, new=False), "_id": record_id, "_version": version}
            )
            done.append((record_id, before, version + 1))
        self._update_rows(statements)
        return done

    def _update_rows(self, statements: list[dict[str, Any]]) -> None:
        """Run the UPDATEs (grouped by the columns they set), each checked against its version."""
        table = self.table
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in statements:
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for names, rows in groups.items():
            columns = [name for name in names if not name.startswith("_")]
            statement = (
                update(table)
                .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
                .values(
                    {name: bindparam(name) for name in columns} | {"version": bindparam("_next")}
                )
            )
            params = [{**row, "_next": row["_version"] + 1} for row in rows]
            result = self.session.connection().execute(statement, params)
            if result.rowcount != len(params):
                raise RuntimeError("a record changed while it was being imported")

    def delete(self, ids: Sequence[int]) -> None:
        """Remove the records ``ids`` (an undone import's new records)."""
        table = self.table
        for start in range(0, len(ids), 500):
            self.session.execute(delete(table).where(table.c.id.in_(ids[start : start + 500])))

    def restore(self, befores: Sequence[tuple[int, dict[str, Any], int]]) -> None:
        """Put back the values of ``(id, before values as stored in JSON, version)``."""
        now = utcnow()
        statements = [
            {
                **self._stamp(self.from_json(before), now, new=False),
                "_id": record_id,
                "_version": version,
            }
            for record_id, before, version in befores
        ]
        self._update_rows(statements)

    # -- undo snapshots -------------------------------------------------------

    @staticmethod
    def to_json(values: dict[str, Any]) -> dict[str, Any]:
        """Column values as JSON (dates as ISO text, amounts as strings)."""
        return {name: jsonable(value) for name, value in values.items()}

    def from_json(self, values: dict[str, Any]) -> dict[str, Any]:
        """Column values back from :meth:`to_json`, by the columns' types."""
        result = {}
        for name, value in values.items():
            python_type = _python_type(self.table.c[name])
            if value is None or python_type in (None, str, int, bool, dict, list):
                result[name] = value
            elif python_type is dt.datetime:
                result[name] = dt.datetime.fromisoformat(value)
            elif python_type is dt.date:
                result[name] = dt.date.fromisoformat(value)
            elif python_type is Decimal:
                result[name] = Decimal(value)
            else:
                result[name] = value
        return result


def inserted_ids(session: Any, statement: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Run a bulk INSERT of ``rows`` and return the new ids in the order of ``rows``.

    Ids come from the table's integer key: ascending within and across the
    batched multi-row statements (SQLite numbers rows in order; PostgreSQL
    draws its sequence in the order of the VALUES list), so sorting them gives
    the rows' order.  Asking the database to guarantee the order instead
    (``sort_by_parameter_order``) makes SQLite insert one row per statement.
    """
    table = statement.table
    result = session.connection().execute(statement.returning(table.c.id), rows)
    return sorted(result.scalars())


def _python_type(column: Any) -> type | None:
    sql_type = column.type
    while sql_type is not None:
        try:
            return sql_type.python_type
        except NotImplementedError:
            sql_type = getattr(sql_type, "impl_instance", None)
    return None
