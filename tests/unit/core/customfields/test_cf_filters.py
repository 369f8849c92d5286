"""Filtering records by custom values, on whichever database the suite runs on."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from webob.multidict import MultiDict

from core.customfields.filters import (
    FilterError,
    custom_filter,
    filter_index_name,
    filters_from_params,
    index_exists,
)
from core.customfields.service import archive_definition, create_definition
from tests.unit.core.customfields.cf_support import Gadget

TIERS = [
    {"value": "gold", "labels": {"en": "Gold", "zh_Hans": "金牌"}},
    {"value": "silver", "labels": {"en": "Silver"}},
    {"value": "bronze", "labels": {"en": "Bronze"}},
]
ROWS = {
    "alpha": {
        "note": "Big 100% deal",
        "size": 5,
        "price": "12.50",
        "ratio": "0.5",
        "day": "2026-01-02",
        "at": "2026-01-02T08:00:00+00:00",
        "vip": True,
        "tier": "gold",
        "tags": ["gold", "silver"],
        "mail": "a@example.com",
    },
    "beta": {
        "note": "small",
        "size": 50,
        "price": "7.00",
        "ratio": "2.25",
        "day": "2026-03-01",
        "at": "2026-03-01T08:00:00+00:00",
        "vip": False,
        "tier": "silver",
        "tags": ["bronze"],
        "phone": "+8613912345678",
    },
    "gamma": {"size": -1},
    "delta": None,
}
FIELDS = {
    "note": ("text", {}),
    "size": ("integer", {}),
    "price": ("money", {}),
    "ratio": ("decimal", {}),
    "day": ("date", {}),
    "at": ("datetime", {}),
    "vip": ("boolean", {}),
    "tier": ("choice", {"choices": TIERS}),
    "tags": ("multi_choice", {"choices": TIERS}),
    "mail": ("email", {}),
    "phone": ("phone", {}),
    "owner": ("user", {}),
    "memo": ("long_text", {}),
}


@pytest.fixture
def fields(dbsession, gadgets):
    definitions = {
        key: create_definition(
            dbsession,
            gadgets,
            key=key,
            field_type=field_type,
            labels={"en": key},
            filterable=field_type != "long_text",
            **extra,
        )
        for key, (field_type, extra) in FIELDS.items()
    }
    dbsession.add_all(Gadget(name=name, custom=custom) for name, custom in ROWS.items())
    dbsession.flush()
    return definitions


def names(dbsession, *clauses):
    query = select(Gadget.name).where(*clauses).order_by(Gadget.name)
    return list(dbsession.scalars(query))


@pytest.mark.parametrize(
    ("key", "op", "raw", "expected"),
    [
        ("note", "eq", "small", ["beta"]),
        ("note", "contains", "100%", ["alpha"]),
        ("note", "contains", "BIG", ["alpha"]),
        ("note", "contains", "_", []),
        ("note", "is_empty", "true", ["delta", "gamma"]),
        ("note", "is_empty", "no", ["alpha", "beta"]),
        ("size", "gt", "4", ["alpha", "beta"]),
        ("size", "lt", "0", ["gamma"]),
        ("size", "eq", "50", ["beta"]),
        ("size", "between", "0..10", ["alpha"]),
        ("size", "between", ["-5", "5"], ["alpha", "gamma"]),
        ("price", "gt", "9.99", ["alpha"]),
        ("price", "eq", "7", ["beta"]),
        ("ratio", "lt", "1", ["alpha"]),
        ("day", "gt", "2026-02-01", ["beta"]),
        ("day", "between", "2026-01-01..2026-01-31", ["alpha"]),
        ("at", "lt", "2026-01-02T16:30+08:00", ["alpha"]),
        ("vip", "eq", "yes", ["alpha"]),
        ("vip", "eq", "false", ["beta"]),
        ("tier", "eq", "Silver", ["beta"]),
        ("tier", "in", "gold,silver", ["alpha", "beta"]),
        ("tier", "in", ["bronze"], []),
        ("tags", "eq", "silver", ["alpha"]),
        ("tags", "in", ["bronze", "金牌"], ["alpha", "beta"]),
        ("tags", "is_empty", "", ["delta", "gamma"]),
        ("mail", "eq", "a@example.com", ["alpha"]),
        ("mail", "contains", "EXAMPLE", ["alpha"]),
        ("phone", "contains", "139 1234", ["beta"]),
        ("phone", "eq", "139-1234-5678", ["beta"]),
    ],
)
def test_filters(dbsession, fields, key, op, raw, expected):
    assert names(dbsession, custom_filter(Gadget, fields[key], op, raw)) == expected


def test_user_filters_compare_ids(dbsession, fields, factory):
    owner = factory.user("owner")
    dbsession.add(Gadget(name="owned", custom={"owner": owner.id}))
    dbsession.flush()
    clause = custom_filter(Gadget, fields["owner"], "in", f"{owner.id},99999")
    assert names(dbsession, clause) == ["owned"]
    with pytest.raises(FilterError, match=r"Choose an active user\."):
        custom_filter(Gadget, fields["owner"], "eq", "owner")


@pytest.mark.parametrize(
    ("key", "op", "raw", "message"),
    [
        ("size", "contains", "5", "This filter is not available for this field."),
        ("note", "lt", "5", "This filter is not available for this field."),
        ("size", "gt", "five", "Enter a whole number, for example 42."),
        ("size", "gt", "", "Enter a value to filter by."),
        ("size", "between", "1", "Enter two values separated by “..”, for example 1..10."),
        ("size", "between", "1..x", "Enter a whole number, for example 42."),
        ("day", "gt", "yesterday", "Enter a date as YYYY-MM-DD, for example 2026-11-22."),
        ("tier", "in", "", "Enter a value to filter by."),
        ("tier", "eq", "platinum", "Choose one of the listed options."),
        ("note", "is_empty", "perhaps", "Choose yes or no."),
        ("note", "contains", "  ", "Enter a value to filter by."),
        ("phone", "contains", "call", "Enter a value to filter by."),
        ("memo", "contains", "x", "This field cannot be used as a filter."),
    ],
)
def test_bad_filter_input_is_a_translatable_error(fields, key, op, raw, message):
    with pytest.raises(FilterError) as caught:
        custom_filter(Gadget, fields[key], op, raw)
    assert caught.value.message == message


def test_archived_fields_are_not_filters(dbsession, fields, gadgets):
    archive_definition(dbsession, gadgets, fields["tier"])
    with pytest.raises(FilterError, match="cannot be used as a filter"):
        custom_filter(Gadget, fields["tier"], "eq", "gold")


def test_filters_from_query_parameters(dbsession, fields):
    definitions = list(fields.values())
    params = MultiDict([("cf_size__gt", "0"), ("cf_tier__in", "gold"), ("cf_tier__in", "silver")])
    params.add("page", "2")
    assert names(dbsession, *filters_from_params(Gadget, definitions, params)) == [
        "alpha",
        "beta",
    ]
    assert names(dbsession, *filters_from_params(Gadget, definitions, {"cf_tier": "gold"})) == [
        "alpha"
    ]
    with pytest.raises(FilterError, match="There is no custom field called"):
        filters_from_params(Gadget, definitions, {"cf_colour": "red"})
    with pytest.raises(FilterError, match="not available"):
        filters_from_params(Gadget, definitions, {"cf_size__near": "3"})


def test_every_filterable_field_has_its_index(db_connection, fields):
    for key, definition in fields.items():
        expected = definition.filterable and (
            definition.field_type != "multi_choice" or db_connection.dialect.name == "postgresql"
        )
        assert index_exists(db_connection, Gadget, key) is expected, key


def test_index_names_fit_postgresql_identifiers():
    assert filter_index_name("customers", "industry") == "ix_cf_customers_industry"
    long_name = filter_index_name("customer_contact_persons", "a" * 40)
    assert len(long_name) == 63
    assert long_name != filter_index_name("customer_contact_persons", "a" * 39 + "b")
