"""Custom fields in the API schema and in export columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import jsonschema
import pytest

from core.customfields.serialize import api_schema, export_columns
from core.customfields.service import create_definition, definitions_for, validate_values
from tests.unit.core.customfields.cf_support import Gadget

TIERS = [{"value": "gold", "labels": {"en": "Gold", "zh_Hans": "金牌"}}, {"value": "silver"}]
SPECS = [
    ("note", "text", {"required": True, "help": {"en": "Anything"}}),
    ("size", "integer", {}),
    ("price", "money", {"default": "9.9"}),
    ("ratio", "decimal", {}),
    ("day", "date", {}),
    ("at", "datetime", {}),
    ("vip", "boolean", {}),
    ("tier", "choice", {"choices": TIERS}),
    ("tags", "multi_choice", {"choices": TIERS}),
    ("mail", "email", {}),
    ("phone", "phone", {}),
    ("site", "url", {}),
    ("owner", "user", {}),
    ("memo", "long_text", {}),
]


@pytest.fixture
def definitions(dbsession, gadgets):
    for key, field_type, extra in SPECS:
        labels = {"en": key.title(), "zh_Hans": f"{key}（中）"}
        create_definition(
            dbsession, gadgets, key=key, field_type=field_type, labels=labels, **extra
        )
    return definitions_for(dbsession, "cf_gadget")


@pytest.fixture
def stored(dbsession, definitions, factory):
    owner = factory.user("export.owner")
    raw = {
        "note": "hello",
        "size": "3",
        "price": "12.5",
        "ratio": "0.25",
        "day": "2026-11-22",
        "at": "2026-11-22T02:30:00Z",
        "vip": "no",
        "tier": "gold",
        "tags": "gold, silver",
        "mail": "a@example.com",
        "phone": "13912345678",
        "site": "https://example.com",
        "owner": str(owner.id),
        "memo": "long\ntext",
    }
    clean, errors = validate_values(dbsession, definitions, raw)
    assert errors == {}
    return clean


def test_stored_values_match_the_api_schema(definitions, stored):
    schema = api_schema(definitions)
    jsonschema.validate(stored, schema)
    jsonschema.validate({**stored, "size": None, "tags": None}, schema)
    assert schema["required"] == ["note"]
    assert schema["properties"]["note"]["title"] == "Note"
    assert schema["properties"]["note"]["description"] == "Anything"
    assert schema["properties"]["price"]["default"] == "9.90"
    assert schema["properties"]["tier"]["enum"] == ["gold", "silver"]


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("size", "3"),
        ("price", "12.345"),
        ("tier", "platinum"),
        ("tags", ["gold", "gold"]),
        ("vip", "yes"),
        ("colour", "red"),
    ],
)
def test_the_api_schema_rejects_what_validation_rejects(definitions, stored, key, bad):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**stored, key: bad}, api_schema(definitions))


def test_export_columns_give_typed_cells_in_the_users_language(make_request, definitions, stored):
    gadget = Gadget(custom=stored)
    columns = export_columns(make_request("zh_Hans"), definitions)
    assert [c.header for c in columns][:2] == ["note（中）", "size（中）"]
    cells = {column.key: column.value(gadget) for column in columns}
    assert cells["size"] == 3
    assert cells["price"] == Decimal("12.50")
    assert cells["day"] == dt.date(2026, 11, 22)
    assert cells["at"].isoformat() == "2026-11-22T10:30:00+08:00"
    assert cells["tier"] == "金牌"
    assert cells["tags"] == "金牌、silver"
    assert cells["phone"] == "139 1234 5678"
    assert cells["owner"] == "export.owner"
    assert cells["memo"] == "long\ntext"
    assert all(column.value(Gadget(custom=None)) is None for column in columns)


def test_exported_cells_import_back_to_the_same_values(
    dbsession, make_request, definitions, stored
):
    columns = export_columns(make_request("zh_Hans"), definitions)
    cells = {column.key: column.value(Gadget(custom=stored)) for column in columns}
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert validate_values(dbsession, definitions, cells, tz=shanghai) == (stored, {})
