"""Customers to spreadsheets: the list page's export and the API list's export.

The page's export rebuilds the page's query from the same parameters with the
same functions (``listing.parse_state``, ``matching``, ``shown_columns``), so
the file holds exactly the customers and columns the page shows, in its order;
the export permission's scope narrows it further.  The API's export takes the
API list's filters and sort and writes every column the import reads back.
ID numbers and bank accounts are never exported (reveal them one at a time on
the customer's page, where each reveal is audited).

Rows are read as plain columns (owner and place names joined in), never as
ORM objects, so a million customers stream in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.api.listing import filtered
from core.customfields.serialize import ExportColumn, export_columns
from core.security.models import Region, User
from core.security.regions import MUNICIPAL_CITY
from core.tabular.exporter import Exporter, ExportPlan
from plugins.customers import _
from plugins.customers.api import custom_filters
from plugins.customers.child_tabular import local_time
from plugins.customers.dictionaries import labels as dictionary_labels
from plugins.customers.listing import (
    COLUMNS,
    SPEC,
    Options,
    matching,
    parse_state,
    shown_columns,
)
from plugins.customers.models import KINDS, STATUSES, Customer, Tag, customer_tags
from plugins.customers.search_index import search_filter, search_parameter
from plugins.customers.service import DELETE, RECORD_TYPE, VIEW, live_customers, scoped
from plugins.customers.service import display_phone as phone_text

EXPORT = "customers.customer.export"
TAG_SEPARATOR = "、"
PLACE_SEPARATOR = " · "
#: The columns of an API (or command-line) export: everything the import reads back.
FULL_COLUMNS = (
    "code", "short_name", "kind", "level", "status", "owner", "province", "city", "district",
    "phone", "email", "address", "website", "industry", "size", "source", "credit_code",
    "credit_rating", "satisfaction", "notes", "tags",
)  # fmt: skip
HEADERS = {
    "name": _("Name"),
    "short_name": _("Short name"),
    "kind": _("Kind"),
    "province": _("Province"),
    "city": _("City"),
    "district": _("District"),
    "email": _("E-mail"),
    "address": _("Address"),
    "website": _("Website"),
    "size": _("Company size"),
    "source": _("Source"),
    "credit_code": _("Unified social credit code"),
    "credit_rating": _("Credit rating"),
    "satisfaction": _("Satisfaction"),
    "notes": _("Notes"),
    **COLUMNS,
}

owner = aliased(User, name="export_owner")
province = aliased(Region, name="export_province")
city = aliased(Region, name="export_city")
district = aliased(Region, name="export_district")


def tag_names() -> Any:
    """Each customer's tag names in one text (a correlated subquery)."""
    return (
        select(func.aggregate_strings(Tag.name, TAG_SEPARATOR))
        .select_from(customer_tags.join(Tag, Tag.id == customer_tags.c.tag_id))
        .where(customer_tags.c.customer_id == Customer.id)
        .scalar_subquery()
        .label("tag_names")
    )


#: What a column reads beyond the customer's own column of the same name.
READS = {
    "owner": ("owner_username", "owner_display_name"),
    "region": ("province_name", "city_name"),
    "province": ("province_name",),
    "city": ("city_name",),
    "district": ("district_name",),
    "tags": ("tag_names",),
    "last_contact": ("last_contact_at",),
    "updated": ("updated_at",),
    "created": ("created_at",),
}
#: Names read from other tables: the expression, and the table to join for it.
JOINED = {
    "owner_username": (owner.username, (owner, owner.id == Customer.owner_id)),
    "owner_display_name": (owner.display_name, (owner, owner.id == Customer.owner_id)),
    "province_name": (province.name, (province, province.code == Customer.province_code)),
    "city_name": (city.name, (city, city.code == Customer.city_code)),
    "district_name": (district.name, (district, district.code == Customer.district_code)),
}


def rows_of(base: Any, keys: Sequence[str]) -> Any:
    """``base`` (a ``select(Customer)`` with its filters and sort) reading only the plain
    columns that the export columns ``keys`` need (``cf_*`` read ``custom``)."""
    names = dict.fromkeys(
        name
        for key in keys
        for name in READS.get(key, ("custom",) if key.startswith("cf_") else (key,))
    )
    table = Customer.__table__
    columns, joins = [], {}
    for name in names:
        if name == "tag_names":
            columns.append(tag_names())
        elif name in JOINED:
            expression, (target, condition) = JOINED[name]
            columns.append(expression.label(name))
            joins[target] = condition
        else:
            columns.append(table.c[name])
    query = base.with_only_columns(*columns, maintain_column_froms=False).select_from(Customer)
    for target, condition in joins.items():
        query = query.outerjoin(target, condition)
    return query


def place(row: Any) -> str:
    """Province · city, as the list shows it (a municipality's 市辖区 left out)."""
    names = [row.province_name, row.city_name]
    return PLACE_SEPARATOR.join(name for name in names if name and name != MUNICIPAL_CITY)


class CustomerExporter(Exporter):
    """The customer list's rows and columns, within the view and export scopes."""

    def readers(self) -> dict[str, Callable[[Any], Any]]:
        """Column key → how to read its cell from a row of :func:`rows_of`."""
        request = self.request
        local = local_time(request)
        levels = dictionary_labels(request, "level")
        industries = dictionary_labels(request, "industry")
        sizes = dictionary_labels(request, "size")
        sources = dictionary_labels(request, "source")
        statuses = {key: request.translate(label) for key, label in STATUSES.items()}
        kinds = {key: request.translate(label) for key, label in KINDS.items()}

        return {
            "name": lambda row: row.name,
            "code": lambda row: row.code,
            "short_name": lambda row: row.short_name,
            "kind": lambda row: kinds.get(row.kind, row.kind),
            "level": lambda row: levels.get(row.level, row.level),
            "status": lambda row: statuses.get(row.status, row.status),
            "industry": lambda row: industries.get(row.industry, row.industry),
            "size": lambda row: sizes.get(row.size, row.size),
            "source": lambda row: sources.get(row.source, row.source),
            "owner": lambda row: row.owner_display_name or row.owner_username,
            "region": place,
            "province": lambda row: row.province_name,
            "city": lambda row: row.city_name if row.city_name != MUNICIPAL_CITY else None,
            "district": lambda row: row.district_name,
            "phone": lambda row: phone_text(row.phone) or None,
            "email": lambda row: row.email,
            "address": lambda row: row.address,
            "website": lambda row: row.website,
            "credit_code": lambda row: row.credit_code,
            "credit_rating": lambda row: row.credit_rating,
            "satisfaction": lambda row: row.satisfaction,
            "notes": lambda row: row.notes or None,
            "tags": lambda row: row.tag_names,
            "last_contact": lambda row: local(row.last_contact_at),
            "updated": lambda row: local(row.updated_at),
            "created": lambda row: local(row.created_at),
        }

    def columns(self, keys: Sequence[str], headers: dict[str, str]) -> list[ExportColumn]:
        """Export columns for ``keys`` (``cf_<key>`` for custom fields) with ``headers``."""
        readers = self.readers()
        custom = {
            f"cf_{column.key}": column
            for column in export_columns(self.request, self.request.custom_fields(RECORD_TYPE))
        }
        return [
            custom[key] if key in custom else ExportColumn(key, headers[key], readers[key])
            for key in keys
            if key in custom or key in readers
        ]

    def title(self) -> str:
        return self.request.translate(_("Customers"))

    def page(self, params: Any) -> ExportPlan:
        """The customer list as the page shows it for ``params``."""
        request = self.request
        deleted = params.get("deleted") == "1" and request.identity.can(DELETE)
        options = Options(request, deleted)
        state = parse_state(params, options)
        keys = ["name", *shown_columns(state, options)]
        sort = state.get("sort", ["-id"])[0]
        column = {"id": Customer.id, **SPEC.sorts}[sort.removeprefix("-")]
        order = (
            [column.desc(), Customer.id.desc()] if sort.startswith("-") else [column, Customer.id]
        )
        base = matching(options, state).where(scoped(request, EXPORT)).order_by(*order)
        translate = request.translate
        headers = {"name": translate(_("Name")), **options.columns}
        return ExportPlan(
            rows_of(base, keys),
            self.columns(keys, headers),
            self.title(),
            {key: values if len(values) > 1 else values[0] for key, values in state.items()},
        )

    def api(self, params: Any) -> ExportPlan:
        """Every column of the customers the API list returns for ``params``."""
        request = self.request
        base = select(Customer).where(
            scoped(request, VIEW), scoped(request, EXPORT), live_customers()
        )
        extra = {
            "cf_": custom_filters(request),
            "q": search_parameter(request.dbsession, search_filter),
        }
        base = filtered(SimpleNamespace(GET=params), base, SPEC, extra)
        definitions = request.custom_fields(RECORD_TYPE)
        keys = ["name", *FULL_COLUMNS, *(f"cf_{d.key}" for d in definitions), "created", "updated"]
        headers = {key: request.translate(label) for key, label in HEADERS.items()}
        return ExportPlan(
            rows_of(base, keys),
            self.columns(keys, headers),
            self.title(),
            dict(params.items()),
        )
