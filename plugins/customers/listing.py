"""The customer list: its filters, sorts, columns and capped count, and the API's spec.

The page reads its parameters through :func:`parse_state`, which keeps only
values it can use (anything else is ignored), turns them into index-backed
predicates with :func:`predicates` and shows them as chips (:func:`chips`).
Bulk actions on "all matching customers" rebuild the same query from the same
parameters.  Paging goes through ``core.api.listing`` (keyset pagination); the
page hands it only the sort and cursor, so a hand-edited address shows a calm
message instead of a JSON problem.  There is never an exact count over the
table: :func:`capped_count` stops at :data:`COUNT_CAP` + 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pyramid.i18n import TranslationString
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload
from webob.multidict import MultiDict

from core.api.listing import Filter, ListSpec, list_response
from core.customfields.filters import (
    BETWEEN_SEPARATOR,
    ORDERED_TYPES,
    FilterError,
    custom_filter,
)
from core.i18n import format_date, user_timezone
from core.security.models import Team, User
from plugins.customers import _
from plugins.customers.dictionaries import labels as dictionary_labels
from plugins.customers.forms import province_choices, region_choices
from plugins.customers.models import STATUSES, Customer, Tag
from plugins.customers.search_index import search_filter
from plugins.customers.service import (
    DELETE,
    RECORD_TYPE,
    VIEW,
    live_customers,
    people_in_scope,
    prefix_match,
    scoped,
)
from plugins.customers.tags import all_tags, tag_filter

SPEC = ListSpec(
    sorts={
        "name": Customer.name,
        "code": Customer.code,
        "created_at": Customer.created_at,
        "updated_at": Customer.updated_at,
    },
    filters={
        "code": Filter(Customer.code),
        "status": Filter(Customer.status, str, ("eq", "in")),
        "level": Filter(Customer.level, str, ("eq", "in")),
        "kind": Filter(Customer.kind),
        "owner_id": Filter(Customer.owner_id, int, ("eq", "in")),
        "team_id": Filter(Customer.team_id, int, ("eq", "in")),
        "province_code": Filter(Customer.province_code, str, ("eq", "in")),
        "city_code": Filter(Customer.city_code, str, ("eq", "in")),
        "district_code": Filter(Customer.district_code, str, ("eq", "in")),
        "created_at": Filter(Customer.created_at, dt.datetime, ("gte", "lt")),
        "updated_at": Filter(Customer.updated_at, dt.datetime, ("gte", "lt")),
    },
    default_sort="-id",
)
#: Sorts offered by the list page's column headers: each has an index with ``deleted_at``.
PAGE_SORTS = ("name", "code", "created_at", "updated_at")
#: The capped count shows "1,000+" beyond this many customers.
COUNT_CAP = 1000
MAX_TEXT = 100
#: Most values kept of one multi-valued filter (tags, levels …).
MAX_VALUES = 50
TAG_MODES = ("any", "all")
#: Dates outside these years are ignored (the ends of the calendar overflow in time zones).
FIRST_YEAR, LAST_YEAR = 1900, 9000
#: Parameters a saved view keeps besides the filters.
VIEW_PARAMS = ("q", "sort", "cols")

#: Optional columns (the name is always shown), in display order.
COLUMNS: dict[str, TranslationString] = {
    "code": _("Code"),
    "status": _("Status"),
    "level": _("Level"),
    "industry": _("Industry"),
    "owner": _("Owner"),
    "region": _("Region"),
    "phone": _("Phone"),
    "tags": _("Tags"),
    "last_contact": _("Last contact"),
    "updated": _("Updated"),
    "created": _("Created"),
}
DEFAULT_COLUMNS = ("code", "status", "level", "owner", "region", "phone", "updated", "created")
#: Sent with the column chooser so that "no optional column" is a choice, not the default.
NAME_COLUMN = "name"


def clean_text(raw: str) -> str:
    """One line of printable text, spaces collapsed, at most :data:`MAX_TEXT` characters."""
    return " ".join("".join(ch for ch in raw if ch.isprintable()).split())[:MAX_TEXT]


def parse_date(raw: str) -> dt.date | None:
    """An ISO date of a plausible year (1900–9000), or None for anything else."""
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


@dataclass
class Options:
    """What the user may filter by and show, loaded once per request (lazily)."""

    request: Any
    deleted: bool = False
    #: The province chosen, so that its cities are offered.
    province: str | None = None

    @property
    def permission(self) -> str:
        """The permission whose scope the list shows."""
        return DELETE if self.deleted else VIEW

    def _once(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once per request: one page builds several ``Options`` (tabs, bulk bar)."""
        cache = self.request.__dict__.setdefault("_customer_list_options", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    @cached_property
    def owners(self) -> list[User]:
        """Users whose customers the user sees."""
        request = self.request
        return self._once(
            ("owners", self.permission),
            lambda: people_in_scope(
                request.dbsession, request.identity, self.permission, region_reaches_all=True
            ),
        )

    @cached_property
    def teams(self) -> list[tuple[str, str]]:
        """Teams the user may filter by (all of them with a region or "all" scope)."""
        identity = self.request.identity
        scopes = identity.scopes(self.permission)
        query = select(Team).order_by(Team.path)
        if not scopes & {"all", "region"}:
            if "team" not in scopes or not identity.team_ids:
                return []
            query = query.where(Team.id.in_(sorted(identity.team_ids)))
        teams = list(self.request.dbsession.scalars(query))
        return [(str(team.id), "　" * (team.path.count("/") - 2) + team.name) for team in teams]

    @cached_property
    def provinces(self) -> list[tuple[str, str]]:
        """Top-level divisions."""
        return self._once("provinces", lambda: province_choices(self.request.dbsession))

    @cached_property
    def cities(self) -> list[tuple[str, str]]:
        """Cities of the chosen province."""
        return region_choices(self.request.dbsession, self.province)

    @cached_property
    def labels(self) -> dict[str, dict[str, str]]:
        """Labels of levels, statuses and industries in the user's language."""
        translate = self.request.translate
        return {
            "level": dictionary_labels(self.request, "level"),
            "status": {key: translate(label) for key, label in STATUSES.items()},
            "industry": dictionary_labels(self.request, "industry"),
        }

    @cached_property
    def tags(self) -> list[Tag]:
        """Every tag, by group and name."""
        return self._once("tags", lambda: all_tags(self.request.dbsession))

    @cached_property
    def definitions(self) -> list[Any]:
        """The customer custom fields."""
        return list(self.request.custom_fields(RECORD_TYPE))

    @property
    def filterable(self) -> list[Any]:
        """Custom fields that can filter the list."""
        return [d for d in self.definitions if d.filterable]

    def choices(self, name: str) -> dict[str, str]:
        """Allowed value → label of a choice filter."""
        if name == "owner_id":
            return {str(user.id): user.name for user in self.owners}
        if name == "team_id":
            return dict(self.teams)
        if name == "province_code":
            return dict(self.provinces)
        if name == "city_code":
            return dict(self.cities)
        if name == "tag":
            return {str(tag.id): tag.name for tag in self.tags}
        return self.labels[name]

    @cached_property
    def columns(self) -> dict[str, str]:
        """Optional column key → translated header, custom fields shown in lists included."""
        translate = self.request.translate
        found = {key: translate(label) for key, label in COLUMNS.items()}
        locale = self.request.locale_name
        found.update(
            {f"cf_{d.key}": d.label_for(locale) for d in self.definitions if d.show_in_list}
        )
        return found

    @property
    def default_columns(self) -> list[str]:
        """The columns shown before the user chooses: the usual ones and custom fields."""
        return [key for key in self.columns if key in DEFAULT_COLUMNS or key.startswith("cf_")]


#: Single-valued choice filters, and multi-valued ones.
SINGLE_CHOICES = ("owner_id", "team_id", "province_code", "city_code")
MULTI_CHOICES = ("level", "status", "industry", "tag")


def _custom_params(definition: Any) -> tuple[str, ...]:
    if definition.field_type in ORDERED_TYPES:
        return (f"cf_{definition.key}__from", f"cf_{definition.key}__to")
    return (f"cf_{definition.key}",)


def _custom_predicate(definition: Any, values: dict[str, list[str]], tz: Any) -> Any:
    """The predicate of one custom field's parameters; raises ``FilterError``."""
    key = f"cf_{definition.key}"
    if definition.field_type in ORDERED_TYPES:
        low, high = (values.get(f"{key}__{end}", [""])[0] for end in ("from", "to"))
        if low and high:
            return custom_filter(
                Customer, definition, "between", f"{low}{BETWEEN_SEPARATOR}{high}", tz=tz
            )
        op, raw = ("gt", low) if low else ("lt", high)
        return or_(
            custom_filter(Customer, definition, "eq", raw, tz=tz),
            custom_filter(Customer, definition, op, raw, tz=tz),
        )
    raw = values[key]
    if definition.field_type in ("choice", "multi_choice", "user"):
        return custom_filter(Customer, definition, "in", raw, tz=tz)
    return custom_filter(Customer, definition, "eq", raw[0], tz=tz)


def parse_state(params: MultiDict, options: Options) -> dict[str, list[str]]:
    """The list parameters of ``params`` that hold a usable value, in a fixed order.

    Every value is a list (most have one item).  Unknown parameters and values,
    and custom field filters the field cannot apply, are dropped.
    """
    state: dict[str, list[str]] = {}
    # The search box keeps what was typed (the search decides what it finds).
    query = " ".join(params.get("q", "").split())[:MAX_TEXT]
    if query:
        state["q"] = [query]
    for name in ("code", "name"):
        text = clean_text(params.get(name, ""))
        if text:
            state[name] = [text]
    province = params.get("province_code", "")
    options.province = province if province in options.choices("province_code") else None
    for name in SINGLE_CHOICES:
        if params.get(name) in options.choices(name):
            state[name] = [params[name]]
    for name in MULTI_CHOICES:
        allowed = options.choices(name)
        values = list(dict.fromkeys(v for v in params.getall(name) if v in allowed))
        if values:
            state[name] = values[:MAX_VALUES]
    if "tag" in state and params.get("tag_mode") in TAG_MODES:
        state["tag_mode"] = [params["tag_mode"]]
    for name in ("created_from", "created_to"):
        day = parse_date(params.get(name, ""))
        if day is not None:
            state[name] = [day.isoformat()]
    tz = user_timezone(options.request)
    for definition in options.filterable:
        found = {
            name: [clean_text(v) for v in params.getall(name)][:MAX_VALUES]
            for name in _custom_params(definition)
        }
        found = {name: [v for v in values if v] for name, values in found.items()}
        found = {name: values for name, values in found.items() if values}
        if not found:
            continue
        try:
            _custom_predicate(definition, found, tz)
        except (FilterError, ValueError, ArithmeticError):  # a date at the end of time …
            continue
        state.update(found)
    if params.get("sort", "").removeprefix("-") in PAGE_SORTS:
        state["sort"] = [params["sort"]]
    if NAME_COLUMN in params.getall("cols"):
        allowed_columns = options.columns
        state["cols"] = [NAME_COLUMN] + [c for c in allowed_columns if c in params.getall("cols")]
    return state


def filter_names(state: dict[str, list[str]]) -> list[str]:
    """The parameters of ``state`` that narrow the list (not the sort or columns)."""
    return [name for name in state if name not in ("sort", "cols", "tag_mode")]


def _day_start(day: str, tz: Any) -> dt.datetime:
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC)


def team_subtree(team_id: str) -> Select:
    """Ids of the team ``team_id`` and the teams under it."""
    path = select(Team.path).where(Team.id == int(team_id)).scalar_subquery()
    return select(Team.id).where(Team.path.startswith(path))


def predicates(state: dict[str, list[str]], options: Options) -> list[ColumnElement[bool] | Any]:
    """The WHERE clauses of ``state``'s filters (each served by an index)."""
    found: list[Any] = []
    if "q" in state:
        found.append(search_filter(options.request.dbsession, state["q"][0]))
    if "code" in state:
        found.append(prefix_match(Customer.code, state["code"][0].upper()))
    if "name" in state:
        found.append(prefix_match(Customer.name, state["name"][0]))
    columns = {
        "owner_id": Customer.owner_id,
        "province_code": Customer.province_code,
        "city_code": Customer.city_code,
        "level": Customer.level,
        "status": Customer.status,
        "industry": Customer.industry,
    }
    for name, column in columns.items():
        if name in state:
            values = [int(v) for v in state[name]] if name == "owner_id" else state[name]
            found.append(column.in_(values) if len(values) > 1 else column == values[0])
    if "team_id" in state:
        found.append(Customer.team_id.in_(team_subtree(state["team_id"][0])))
    if "tag" in state:
        mode = "all" if state.get("tag_mode") == ["all"] else "any"
        found.append(tag_filter([int(v) for v in state["tag"]], mode))
    tz = user_timezone(options.request)
    if "created_from" in state:
        found.append(Customer.created_at >= _day_start(state["created_from"][0], tz))
    if "created_to" in state:
        end = dt.date.fromisoformat(state["created_to"][0]) + dt.timedelta(days=1)
        found.append(Customer.created_at < _day_start(end.isoformat(), tz))
    for definition in options.filterable:
        values = {name: state[name] for name in _custom_params(definition) if name in state}
        if values:
            found.append(_custom_predicate(definition, values, tz))
    return found


def matching(options: Options, state: dict[str, list[str]]) -> Select:
    """``select(Customer)`` of the customers the list shows for ``state``, within scope."""
    request = options.request
    return select(Customer).where(
        scoped(request, options.permission),
        Customer.deleted_at.is_not(None) if options.deleted else live_customers(),
        *predicates(state, options),
    )


def capped_count(session: Session, query: Select, cap: int = COUNT_CAP) -> int:
    """How many rows ``query`` has, counting at most ``cap + 1`` of them."""
    capped = query.with_only_columns(Customer.id).order_by(None).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def _chip_value(name: str, value: str, options: Options) -> str:
    if name in SINGLE_CHOICES or name in MULTI_CHOICES:
        return options.choices(name).get(value, value)
    if name in ("created_from", "created_to"):
        return format_date(options.request, dt.date.fromisoformat(value))
    return value


CHIP_TITLES: dict[str, TranslationString] = {
    "q": _("Search"),
    "code": _("Code starts with"),
    "name": _("Name starts with"),
    "owner_id": _("Owner"),
    "team_id": _("Team"),
    "province_code": _("Province"),
    "city_code": _("City"),
    "level": _("Level"),
    "status": _("Status"),
    "industry": _("Industry"),
    "created_from": _("Created from"),
    "created_to": _("Created until"),
}


def _chip_title(name: str, state: dict[str, list[str]], options: Options) -> str:
    translate = options.request.translate
    if name == "tag":
        all_of = state.get("tag_mode") == ["all"]
        return translate(_("Tags (all of)") if all_of else _("Tags (any of)"))
    if name.startswith("cf_"):
        key, _sep, end = name[3:].partition("__")
        definition = next(d for d in options.filterable if d.key == key)
        label = definition.label_for(options.request.locale_name)
        if end == "from":
            return translate(_("${field} from"), field=label)
        if end == "to":
            return translate(_("${field} until"), field=label)
        return label
    return translate(CHIP_TITLES[name])


def chips(
    state: dict[str, list[str]], options: Options, url_with: Callable[..., str]
) -> list[tuple[str, str]]:
    """``(text, address without it)`` for each active filter value, shown as removable chips."""
    translate = options.request.translate
    found = []
    for name in filter_names(state):
        title = _chip_title(name, state, options)
        for value in state[name]:
            rest = [v for v in state[name] if v != value] or None
            changes: dict[str, Any] = {name: rest}
            if name == "tag" and rest is None:
                changes["tag_mode"] = None
            if name == "province_code":
                changes["city_code"] = None
            shown = _chip_value(name, value, options)
            if name.startswith("cf_") and not name.endswith(("__from", "__to")):
                definition = next(d for d in options.filterable if f"cf_{d.key}" == name)
                shown = custom_label(options.request, definition, value)
            found.append(
                (
                    # TRANSLATORS: an active list filter, e.g. "Status: Active".
                    translate(_("${name}: ${value}"), name=title, value=shown),
                    url_with(**changes),
                )
            )
    return found


def custom_label(request: Any, definition: Any, raw: str) -> str:
    """A custom field filter value as the user reads it (a choice's label, a user's name)."""
    if definition.field_type in ("choice", "multi_choice"):
        return definition.choice_label(raw, request.locale_name)
    if definition.field_type == "user" and raw.isdigit():
        return request.custom_display(definition, int(raw))
    if definition.field_type == "boolean":
        return request.custom_display(definition, raw.lower() in ("1", "true", "yes", "on"))
    return raw


def shown_columns(state: dict[str, list[str]], options: Options) -> list[str]:
    """The optional columns to show: the chosen ones, else the defaults."""
    if "cols" in state:
        return [c for c in state["cols"] if c != NAME_COLUMN]
    return options.default_columns


def load_options(columns: list[str]) -> list[Any]:
    """Loader options so that the shown columns cost a fixed number of queries."""
    found = [selectinload(Customer.province), selectinload(Customer.city)]
    if "tags" in columns:
        found.append(selectinload(Customer.tags))
    return found


def preload_users(
    request: Any, customers: list[Customer], options: Options, columns: list[str]
) -> list[User]:
    """The users named by "user" custom field columns, loaded in one query.

    Keep the result while rendering: the session then finds each user in its
    identity map instead of asking the database once per row.
    """
    keys = [
        d.key for d in options.definitions if d.field_type == "user" and f"cf_{d.key}" in columns
    ]
    ids = {
        int(value)
        for customer in customers
        for key in keys
        if str(value := (customer.custom or {}).get(key, "")).isdigit()
    }
    if not ids:
        return []
    return list(request.dbsession.scalars(select(User).where(User.id.in_(sorted(ids)))))


@dataclass
class CheckedParams:
    """The part of a request ``core.api.listing`` reads, with only checked parameters."""

    GET: MultiDict
    path_url: str
    dbsession: Session


def page_of(request: Any, query: Any, params: dict[str, str]) -> tuple[list[Customer], str | None]:
    """One page of ``query`` for the list page: the customers and the next page's cursor.

    Raises ``core.api.problems.ProblemError`` for a sort or cursor it cannot use.
    """
    checked = CheckedParams(MultiDict(params), request.path_url, request.dbsession)
    page = list_response(checked, query, SPEC, lambda customer: customer)
    if page["next"] is None:
        return page["items"], None
    return page["items"], parse_qs(urlsplit(page["next"]).query)["cursor"][0]
