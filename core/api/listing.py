"""List endpoints of the REST API: keyset pagination, allow-listed sorts and filters.

A list endpoint builds a scoped query and hands it over with its :class:`ListSpec`::

    SPEC = ListSpec(
        sorts={"name": Customer.name, "created_at": Customer.created_at},
        filters={"name": Filter(Customer.name, str, ("eq", "contains"))},
    )

    def customers(request):
        query = select(Customer).where(scope_filter(request.identity, record_type, "…view"))
        return list_response(request, query, SPEC, serialize_customer)

The client sends ``?limit=`` (1–200, default 50), ``sort=name`` or ``sort=-created_at``
(always tie-broken by id), filters as ``field=value`` or ``field__op=value`` and the opaque
``cursor`` of the previous page's ``next`` link.  There is no total count: counting a million
rows on every page is what makes big CRMs slow.  Every mistake is a 400 problem naming the
parameter; values are parsed by the declared type and always bound, never spliced into SQL.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, inspect, literal, or_

from core.api.problems import ProblemError
from core.i18n import _

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: Longest accepted string filter value.
MAX_STRING = 200
#: Most values accepted by one ``__in`` filter.
MAX_IN_VALUES = 100
#: Longest accepted cursor (a sort value of a few hundred characters fits easily).
MAX_CURSOR = 2000
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "isnull")
#: Query parameters that are never filters.
RESERVED = frozenset({"limit", "cursor", "sort"})
_INT_RE = re.compile(r"[+-]?[0-9]{1,18}")
_LIMIT_RE = re.compile(r"[0-9]{1,3}")
#: Plain decimals only: no exponent (1e999999 overflows PostgreSQL's numeric), NaN or inf.
_DECIMAL_RE = re.compile(r"[+-]?[0-9]{1,20}(\.[0-9]{1,10})?")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})

#: A custom filter family: ``(name, op, raw value) -> predicate``; raises :class:`FilterError`.
ExtraFilter = Callable[[str, str, str], ColumnElement[bool]]


class FilterError(ValueError):
    """A filter value or operator is not acceptable; ``message`` is a translation string."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# -- value parsing ---------------------------------------------------------------


def _parse_str(raw: str, param: str) -> str:
    if len(raw) > MAX_STRING:
        raise FilterError(_("${param} is longer than 200 characters.", mapping={"param": param}))
    if "\x00" in raw:
        raise FilterError(_("${param} contains a NUL character.", mapping={"param": param}))
    return raw


def _parse_int(raw: str, param: str) -> int:
    if not _INT_RE.fullmatch(raw.strip()):
        raise FilterError(_("${param} must be a whole number.", mapping={"param": param}))
    return int(raw)


def _parse_decimal(raw: str, param: str) -> decimal.Decimal:
    if not _DECIMAL_RE.fullmatch(raw.strip()):
        raise FilterError(_("${param} must be a decimal number.", mapping={"param": param}))
    return decimal.Decimal(raw.strip())


def _parse_date(raw: str, param: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise FilterError(
            _("${param} must be a date like 2026-11-22.", mapping={"param": param})
        ) from None


def _parse_datetime(raw: str, param: str) -> dt.datetime:
    """An ISO 8601 timestamp; one without an offset is taken as UTC."""
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise FilterError(
            _(
                "${param} must be a date and time like 2026-11-22T10:30:00+08:00.",
                mapping={"param": param},
            )
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parse_bool(raw: str, param: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise FilterError(_("${param} must be true or false.", mapping={"param": param}))


PARSERS: dict[type, Callable[[str, str], Any]] = {
    str: _parse_str,
    int: _parse_int,
    decimal.Decimal: _parse_decimal,
    dt.date: _parse_date,
    dt.datetime: _parse_datetime,
    bool: _parse_bool,
}


def parse_value(value_type: type, raw: str, param: str) -> Any:
    """``raw`` parsed as ``value_type`` (a key of :data:`PARSERS`); raises :class:`FilterError`."""
    return PARSERS[value_type](raw, param)


# -- specification ---------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """A filterable column, the type its values are parsed as and the operators it allows."""

    column: Any
    type: type = str
    ops: tuple[str, ...] = ("eq",)

    def __post_init__(self) -> None:
        if self.type not in PARSERS:
            raise ValueError(f"unsupported filter type {self.type!r}")
        unknown = set(self.ops) - set(OPS)
        if unknown:
            raise ValueError(f"unknown filter operators {sorted(unknown)}")
        if "contains" in self.ops and self.type is not str:
            raise ValueError("'contains' only applies to str filters")


@dataclass(frozen=True)
class ListSpec:
    """The sorts and filters a list endpoint allows; ``id`` is always a valid sort."""

    sorts: dict[str, Any]
    filters: dict[str, Filter] = field(default_factory=dict)
    default_sort: str = "-id"

    def __post_init__(self) -> None:
        for name, column in self.sorts.items():
            if not hasattr(column, "key") or column_type(column) not in PARSERS:
                raise ValueError(f"sort {name!r} must be a mapped column of a supported type")
        default = self.default_sort.removeprefix("-")
        if default != "id" and default not in self.sorts:
            raise ValueError(f"default sort {self.default_sort!r} is not an allowed sort")


def column_type(column: Any) -> type | None:
    """The Python type of a mapped column's values (``None`` when SQLAlchemy cannot tell)."""
    sql_type = getattr(column, "type", None)
    while sql_type is not None:
        try:
            python_type = sql_type.python_type
        except NotImplementedError:
            python_type = object
        if python_type is not object:
            return python_type
        sql_type = getattr(sql_type, "impl_instance", None)  # a TypeDecorator's own type
    return None


def _nullable(column: Any) -> bool:
    return bool(getattr(getattr(column, "expression", column), "nullable", True))


# -- request parsing -------------------------------------------------------------


def bad_parameter(param: str, detail: Any) -> ProblemError:
    """The 400 problem for a query parameter the endpoint cannot accept."""
    return ProblemError(400, _("Invalid query parameter"), detail, parameter=param)


def _single(request: Any, name: str) -> str | None:
    values = request.GET.getall(name)
    if len(values) > 1:
        raise bad_parameter(name, _("${param} may be given only once.", mapping={"param": name}))
    return values[0] if values else None


def parse_limit(request: Any) -> int:
    """The page size from ``?limit=`` (1 to 200, default 50)."""
    raw = _single(request, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _LIMIT_RE.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_parameter("limit", _("limit must be a whole number from 1 to 200."))
    return int(raw)


@dataclass(frozen=True)
class _Sort:
    param: str
    name: str
    column: Any
    descending: bool


def parse_sort(request: Any, spec: ListSpec, pk: Any) -> _Sort:
    """The requested (or default) sort; unknown fields are a 400 problem."""
    raw = _single(request, "sort") or spec.default_sort
    name = raw.removeprefix("-")
    column = pk if name == "id" else spec.sorts.get(name)
    if column is None:
        allowed = ", ".join(sorted({"id", *spec.sorts}))
        raise bad_parameter(
            "sort",
            _(
                "Cannot sort by ${field}; allowed: ${allowed}.",
                mapping={"field": name, "allowed": allowed},
            ),
        )
    return _Sort(raw, name, column, raw.startswith("-"))


def split_param(param: str) -> tuple[str, str]:
    """``"name__contains"`` → ``("name", "contains")``; a bare name means ``eq``."""
    name, sep, op = param.rpartition("__")
    return (name, op) if sep and name else (param, "eq")


def filter_predicate(column: Any, value_type: type, op: str, raw: str, param: str) -> Any:
    """The bound SQL predicate for ``column <op> raw``; raises :class:`FilterError`."""
    if op == "isnull":
        return column.is_(None) if _parse_bool(raw, param) else column.is_not(None)
    if op == "in":
        parts = raw.split(",")
        if len(parts) > MAX_IN_VALUES:
            raise FilterError(_("${param} accepts at most 100 values.", mapping={"param": param}))
        return column.in_([parse_value(value_type, part, param) for part in parts])
    value = parse_value(value_type, raw, param)
    if op == "contains":
        return column.icontains(value, autoescape=True)
    compare = {
        "eq": operator.eq,
        "ne": operator.ne,
        "lt": operator.lt,
        "lte": operator.le,
        "gt": operator.gt,
        "gte": operator.ge,
    }[op]
    return compare(column, literal(value, column.type))


def parse_filters(
    request: Any, spec: ListSpec, extra_filters: Mapping[str, ExtraFilter] | None = None
) -> list[Any]:
    """The predicates of every filter parameter of the request."""
    predicates = []
    for param, raw in request.GET.items():
        if param in RESERVED:
            continue
        name, op = split_param(param)
        prefix = next((p for p in extra_filters or {} if name.startswith(p)), None)
        try:
            if op not in OPS:
                raise FilterError(
                    _(
                        "Unknown filter operator ${op} in ${param}.",
                        mapping={"op": op, "param": param},
                    )
                )
            if prefix is not None:
                predicates.append(extra_filters[prefix](name[len(prefix) :], op, raw))  # type: ignore[index]
                continue
            declared = spec.filters.get(name)
            if declared is None:
                raise FilterError(_("Unknown filter: ${param}.", mapping={"param": param}))
            if op not in declared.ops:
                raise FilterError(
                    _(
                        "${field} cannot be filtered with ${op}; allowed: ${allowed}.",
                        mapping={"field": name, "op": op, "allowed": ", ".join(declared.ops)},
                    )
                )
            predicates.append(filter_predicate(declared.column, declared.type, op, raw, param))
        except FilterError as exc:
            raise bad_parameter(param, exc.message) from None
    return predicates


# -- cursors ---------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if isinstance(value, decimal.Decimal) else value


def _decode_value(value: Any, value_type: type, nullable: bool) -> Any:
    """A cursor's sort value checked against the column type; ``ValueError`` if it is wrong."""
    if value is None:
        if nullable:
            return None
        raise ValueError("null")
    if value_type in (dt.date, dt.datetime, decimal.Decimal):
        if not isinstance(value, str):
            raise ValueError("type")
        return PARSERS[value_type](value, "cursor")
    if value_type is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("type")
    if value_type is int and not -(2**63) <= value < 2**63:
        raise ValueError("range")  # the database refuses wider integers
    if not isinstance(value, value_type):
        raise ValueError("type")
    return value


def encode_cursor(sort: _Sort, value: Any, record_id: int) -> str:
    """The opaque cursor that continues after the row with sort ``value`` and ``record_id``."""
    payload = {
        "s": sort.param,
        "v": None if sort.name == "id" else _encode_value(value),
        "i": record_id,
    }
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(raw: str, sort: _Sort) -> tuple[Any, int]:
    """``(sort value, id)`` of a cursor made by :func:`encode_cursor` for the same sort."""
    invalid = bad_parameter("cursor", _("The cursor is invalid or belongs to another sort order."))
    if len(raw) > MAX_CURSOR:
        raise invalid
    try:
        payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(payload, dict) or set(payload) != {"s", "v", "i"}:
            raise ValueError("shape")
        if payload["s"] != sort.param:
            raise ValueError("sort")
        record_id = _decode_value(payload["i"], int, nullable=False)
        if sort.name == "id":
            return None, record_id
        column = sort.column
        value = _decode_value(payload["v"], column_type(column), _nullable(column))  # type: ignore[arg-type]
    except (ValueError, TypeError, FilterError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise invalid from None
    return value, record_id


def _after(sort: _Sort, pk: Any, value: Any, record_id: int) -> Any:
    """Rows after ``(value, record_id)`` in the sort order (NULL sort values come last)."""
    later = operator.lt if sort.descending else operator.gt
    if sort.name == "id":
        return later(pk, record_id)
    column = sort.column
    if value is None:
        return and_(column.is_(None), later(pk, record_id))
    value = literal(value, column.type)  # a bound parameter that also compares booleans
    clause = or_(later(column, value), and_(column == value, later(pk, record_id)))
    return or_(clause, column.is_(None)) if _nullable(column) else clause


def _order_by(sort: _Sort, pk: Any) -> list[Any]:
    def direction(column: Any) -> Any:
        ordered = column.desc() if sort.descending else column.asc()
        return ordered.nulls_last() if _nullable(column) else ordered

    return [direction(pk)] if sort.name == "id" else [direction(sort.column), direction(pk)]


# -- the response ----------------------------------------------------------------


def primary_key(query: Select) -> Any:
    """The id attribute of the query's entity (single-column primary keys only)."""
    entity = query.column_descriptions[0]["entity"]
    mapper = inspect(entity)
    if len(mapper.primary_key) != 1:
        raise ValueError("list_response() needs an entity with a single-column primary key")
    return getattr(entity, mapper.get_property_by_column(mapper.primary_key[0]).key)


def next_url(request: Any, cursor: str) -> str:
    """The request's URL with ``cursor`` replaced."""
    params = [(key, value) for key, value in request.GET.items() if key != "cursor"]
    return f"{request.path_url}?{urlencode([*params, ('cursor', cursor)])}"


def filtered(
    request: Any,
    query: Select,
    spec: ListSpec,
    extra_filters: Mapping[str, ExtraFilter] | None = None,
) -> Select:
    """``query`` with the request's filters and sort, unpaged: what an export of the list streams.

    The same parameters as :func:`list_response` (``limit`` and ``cursor`` are
    ignored); a parameter it cannot use is a 400 problem.
    """
    pk = primary_key(query)
    sort = parse_sort(request, spec, pk)
    return query.where(*parse_filters(request, spec, extra_filters)).order_by(*_order_by(sort, pk))


def list_response(
    request: Any,
    query: Select,
    spec: ListSpec,
    serialize: Callable[[Any], dict[str, Any]],
    extra_filters: Mapping[str, ExtraFilter] | None = None,
) -> dict[str, Any]:
    """One page of ``query`` (already scoped) as ``{"items": [...], "next": url | None}``.

    ``extra_filters`` maps a parameter prefix (``cf_``) to a callable building the predicate
    of ``cf_<name>[__op]=value``; it raises :class:`FilterError` for what it cannot accept.
    """
    pk = primary_key(query)
    limit = parse_limit(request)
    sort = parse_sort(request, spec, pk)
    query = query.where(*parse_filters(request, spec, extra_filters))
    cursor = _single(request, "cursor")
    if cursor is not None:
        query = query.where(_after(sort, pk, *decode_cursor(cursor, sort)))
    query = query.order_by(None).order_by(*_order_by(sort, pk)).limit(limit + 1)
    rows = list(request.dbsession.scalars(query))
    next_link = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = None if sort.name == "id" else getattr(last, sort.column.key)
        next_link = next_url(request, encode_cursor(sort, value, getattr(last, pk.key)))
    return {"items": [serialize(row) for row in rows], "next": next_link}
