"""Filtering records by custom field values, and the indexes that keep it fast.

The same SQL constructs build the WHERE clauses and the expression indexes,
so a filter always matches its index: ``json_extract(custom, '$.key')`` on
SQLite, ``(custom ->> 'key')`` on PostgreSQL (numbers cast to NUMERIC,
yes/no to BOOLEAN), and for multiple choice a JSON membership test (a GIN
index on ``(custom -> 'key')`` on PostgreSQL; SQLite has no index for it).
Keys are inlined as literals, never bound, so the planner can match the
index; they are safe to inline because they match ``KEY_PATTERN``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import Boolean, ColumnElement, Numeric, String, and_, bindparam, not_, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from core.customfields.models import KEY_PATTERN
from core.customfields.values import InvalidValue, parse_value
from core.i18n import _

NUMBER_TYPES = ("integer", "decimal", "money", "user")
ORDERED_TYPES = ("integer", "decimal", "money", "date", "datetime")
TEXT_TYPES = ("text", "email", "phone", "url")

#: Filter operators each field type offers.
OPERATORS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(TEXT_TYPES, ("eq", "contains", "is_empty")),
    **dict.fromkeys(ORDERED_TYPES, ("eq", "lt", "gt", "between", "is_empty")),
    "boolean": ("eq", "is_empty"),
    "choice": ("eq", "in", "is_empty"),
    "multi_choice": ("eq", "in", "is_empty"),
    "user": ("eq", "in", "is_empty"),
    "long_text": (),
}
#: Field types that cannot be marked filterable (no index can serve them).
UNFILTERABLE = frozenset(name for name, ops in OPERATORS.items() if not ops)
PG_IDENTIFIER_MAX = 63
BETWEEN_SEPARATOR = ".."


class FilterError(ValueError):
    """A filter cannot be applied; ``message`` (translatable) says why."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(message)
        self.message = message


def _checked_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise ValueError(f"invalid custom field key {key!r}")
    return key


class CustomValue(ColumnElement[Any]):
    """The value under ``key`` in a JSON ``column``, read as text, number or boolean."""

    __visit_name__ = "custom_value"
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
        ("kind", InternalTraversal.dp_string),
    ]
    KIND_TYPES = {"text": String(), "number": Numeric(asdecimal=True), "boolean": Boolean()}

    def __init__(self, column: Any, key: str, kind: str = "text") -> None:
        self.column = column
        self.key = _checked_key(key)
        self.kind = kind
        self.type = self.KIND_TYPES[kind]

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


class CustomHasAny(ColumnElement[bool]):
    """True when the JSON list under ``key`` holds any of ``values``."""

    __visit_name__ = "custom_has_any"
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
        ("values", InternalTraversal.dp_clauseelement_list),
    ]

    def __init__(self, column: Any, key: str, values: list[str]) -> None:
        self.column = column
        self.key = _checked_key(key)
        self.values = [bindparam(None, value, type_=String()) for value in values]

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(CustomValue, "sqlite")
def _value_sqlite(element: CustomValue, compiler: Any, **kw: Any) -> str:
    sql = f"json_extract({compiler.process(element.column, **kw)}, '$.{element.key}')"
    return f"CAST({sql} AS NUMERIC)" if element.kind == "number" else sql


@compiles(CustomValue, "postgresql")
def _value_postgresql(element: CustomValue, compiler: Any, **kw: Any) -> str:
    sql = f"({compiler.process(element.column, **kw)} ->> '{element.key}')"
    casts = {"number": "NUMERIC", "boolean": "BOOLEAN"}
    return f"CAST({sql} AS {casts[element.kind]})" if element.kind in casts else sql


@compiles(CustomHasAny, "sqlite")
def _has_any_sqlite(element: CustomHasAny, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    values = ", ".join(compiler.process(value, **kw) for value in element.values)
    # The key matches KEY_PATTERN (checked in __init__) and the values are bound.
    return (
        f"EXISTS (SELECT 1 FROM json_each({column}, '$.{element.key}') AS cf_item "  # noqa: S608
        f"WHERE cf_item.value IN ({values}))"
    )


@compiles(CustomHasAny, "postgresql")
def _has_any_postgresql(element: CustomHasAny, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    tests = [
        f"({column} -> '{element.key}') @> "
        f"jsonb_build_array(CAST({compiler.process(value, **kw)} AS TEXT))"
        for value in element.values
    ]
    return "(" + " OR ".join(tests) + ")"


def custom_column(model: Any) -> Any:
    """The ``custom`` JSON column of an extensible model."""
    return model.__table__.c.custom


def value_kind(field_type: str) -> str:
    """How a field type is read for filtering, sorting and indexing."""
    if field_type in NUMBER_TYPES:
        return "number"
    return "boolean" if field_type == "boolean" else "text"


def value_expression(model: Any, definition: Any) -> CustomValue:
    """The SQL expression of a field's value (for filters, sorting and the index)."""
    return CustomValue(custom_column(model), definition.key, value_kind(definition.field_type))


# -- filters ---------------------------------------------------------------------


def _parse(definition: Any, raw: Any, tz: dt.tzinfo) -> Any:
    """One filter operand, parsed like a form value; blank is an error here."""
    try:
        value = parse_value(definition, raw, tz)
    except InvalidValue as exc:
        raise FilterError(exc.message) from None
    if value is None:
        raise FilterError(_("Enter a value to filter by."))
    if definition.field_type == "user" and not isinstance(value, int):
        raise FilterError(_("Choose an active user."))
    if definition.field_type in NUMBER_TYPES:
        return Decimal(value)
    return value


def _fragment(definition: Any, raw: Any) -> str:
    """The text a ``contains`` filter looks for (phone numbers: digits only, as stored)."""
    fragment = raw.strip() if isinstance(raw, str) else ""
    if definition.field_type == "phone":
        fragment = re.sub(r"[^\d+]", "", unicodedata.normalize("NFKC", fragment))
    if not fragment:
        raise FilterError(_("Enter a value to filter by."))
    return fragment


def _many(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        return [item for item in re.split(r"[,，、]", raw) if item.strip()]
    if isinstance(raw, list | tuple | set | frozenset):
        return [item for item in raw if not (isinstance(item, str) and not item.strip())]
    return [raw]


def _flag(raw: Any) -> bool:
    if raw is None or raw == "" or raw is True:
        return True
    if raw is False:
        return False
    word = str(raw).strip().lower()
    if word in ("1", "true", "yes", "y", "on"):
        return True
    if word in ("0", "false", "no", "n", "off"):
        return False
    raise FilterError(_("Choose yes or no."))


def custom_filter(
    model: Any, definition: Any, op: str, raw: Any, *, tz: dt.tzinfo = dt.UTC
) -> ColumnElement[bool]:
    """A WHERE clause on ``model`` for ``definition`` with operator ``op`` and input ``raw``.

    Operators: ``eq``, ``contains`` (text), ``lt``/``gt``/``between`` (numbers and
    dates; ``between`` takes ``"a..b"`` or a pair), ``in`` (choices and users; a
    list or comma-separated text; on multiple choice "has any of"), ``is_empty``
    (``raw`` true or false).  Bad input raises :class:`FilterError`.
    """
    if not definition.filterable or definition.archived_at is not None:
        raise FilterError(_("This field cannot be used as a filter."))
    field_type = definition.field_type
    if op not in OPERATORS[field_type]:
        raise FilterError(_("This filter is not available for this field."))
    value = value_expression(model, definition)
    if op == "is_empty":
        empty = CustomValue(custom_column(model), definition.key).is_(None)
        return empty if _flag(raw) else not_(empty)
    if op == "between":
        parts = raw.split(BETWEEN_SEPARATOR) if isinstance(raw, str) else raw
        if not isinstance(parts, list | tuple) or len(parts) != 2:
            raise FilterError(_("Enter two values separated by “..”, for example 1..10."))
        low, high = (_parse(definition, part, tz) for part in parts)
        return and_(value >= low, value <= high)
    if op == "in" or (op == "eq" and field_type == "multi_choice"):
        items = _many(raw) if op == "in" else [raw]
        operands = [_parse(definition, item, tz) for item in items]
        if not operands:
            raise FilterError(_("Enter a value to filter by."))
        if field_type == "multi_choice":
            values = sorted({item for operand in operands for item in operand})
            return CustomHasAny(custom_column(model), definition.key, values)
        return value.in_(operands)
    if op == "contains":
        return value.icontains(_fragment(definition, raw), autoescape=True)
    operand = _parse(definition, raw, tz)
    if op == "lt":
        return value < operand
    if op == "gt":
        return value > operand
    return value == operand


def filters_from_params(
    model: Any, definitions: list[Any], params: Mapping[str, Any], *, tz: dt.tzinfo = dt.UTC
) -> list[ColumnElement[bool]]:
    """WHERE clauses from query parameters ``cf_<key>=v`` or ``cf_<key>__<op>=v``.

    Repeated parameters (``cf_tier__in=a&cf_tier__in=b``) are read with
    ``getall`` when ``params`` is a WebOb MultiDict.  Raises :class:`FilterError`.
    """
    by_key = {definition.key: definition for definition in definitions}
    clauses = []
    for name in dict.fromkeys(params):
        if not name.startswith("cf_"):
            continue
        key, _sep, op = name[3:].partition("__")
        definition = by_key.get(key)
        if definition is None:
            raise FilterError(_("There is no custom field called ${key}.", mapping={"key": key}))
        getall = getattr(params, "getall", None)
        raw = getall(name) if getall else params[name]
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        clauses.append(custom_filter(model, definition, op or "eq", raw, tz=tz))
    return clauses


# -- indexes ---------------------------------------------------------------------


def filter_index_name(table_name: str, key: str) -> str:
    """``ix_cf_<table>_<key>``, shortened with a hash to PostgreSQL's 63 characters."""
    name = f"ix_cf_{table_name}_{key}"
    if len(name) <= PG_IDENTIFIER_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: PG_IDENTIFIER_MAX - 9]}_{digest}"


def _index_ddl(connection: Connection, model: Any, definition: Any, name: str) -> str | None:
    """The CREATE INDEX statement of a field, or ``None`` when no index can serve it."""
    dialect = connection.dialect
    preparer = dialect.identifier_preparer
    table = preparer.format_table(model.__table__)
    column = preparer.quote(custom_column(model).name)
    if definition.field_type in UNFILTERABLE:
        return None
    if definition.field_type == "multi_choice":
        if dialect.name != "postgresql":
            return None
        expression = f"({column} -> '{_checked_key(definition.key)}')"
        return (
            f"CREATE INDEX IF NOT EXISTS {preparer.quote(name)} ON {table} USING gin ({expression})"
        )
    compiled = value_expression(model, definition).compile(
        dialect=dialect, compile_kwargs={"include_table": False, "literal_binds": True}
    )
    return f"CREATE INDEX IF NOT EXISTS {preparer.quote(name)} ON {table} (({compiled}))"


def ensure_filter_index(connection: Connection, model: Any, definition: Any) -> bool:
    """Create the index of a filterable field, or drop it when it is archived or not filterable.

    Runs on ``connection`` (inside the caller's transaction).  Returns whether
    the field has an index afterwards.
    """
    name = filter_index_name(model.__tablename__, definition.key)
    wanted = definition.filterable and definition.archived_at is None
    ddl = _index_ddl(connection, model, definition, name) if wanted else None
    if ddl is None:
        drop_filter_index(connection, model, definition.key)
        return False
    connection.execute(text(ddl))
    return True


def drop_filter_index(connection: Connection, model: Any, key: str) -> None:
    """Drop the index of the field ``key`` if there is one."""
    preparer = connection.dialect.identifier_preparer
    name = filter_index_name(model.__tablename__, key)
    connection.execute(text(f"DROP INDEX IF EXISTS {preparer.quote(name)}"))


def index_exists(connection: Connection, model: Any, key: str) -> bool:
    """Whether the filter index of ``key`` exists (for checks and tests)."""
    name = filter_index_name(model.__tablename__, key)
    if connection.dialect.name == "sqlite":
        query = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        query = "SELECT 1 FROM pg_indexes WHERE indexname = :name"
    return connection.execute(text(query), {"name": name}).first() is not None
