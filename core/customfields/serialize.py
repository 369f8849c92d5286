"""Custom fields in the API document and in exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.customfields.models import CustomFieldDefinition
from core.customfields.values import DECIMAL_PLACES, LONG_TEXT_MAX, TEXT_MAX, URL_MAX
from core.i18n import user_timezone
from core.security.models import User

NUMBER_PATTERN = r"^-?\d{1,15}(\.\d{1,%d})?$"


def _value_schema(definition: CustomFieldDefinition) -> dict[str, Any]:
    field_type = definition.field_type
    if field_type in DECIMAL_PLACES:
        pattern = NUMBER_PATTERN % DECIMAL_PLACES[field_type]
        return {"type": "string", "format": "decimal", "pattern": pattern}
    if field_type in ("choice", "multi_choice"):
        choice = {"type": "string", "enum": definition.choice_values()}
        if field_type == "choice":
            return choice
        return {"type": "array", "items": choice, "uniqueItems": True}
    simple: dict[str, dict[str, Any]] = {
        "text": {"type": "string", "maxLength": TEXT_MAX},
        "long_text": {"type": "string", "maxLength": LONG_TEXT_MAX},
        "integer": {"type": "integer"},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "boolean": {"type": "boolean"},
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string", "description": "E.164, e.g. +8613912345678"},
        "url": {"type": "string", "format": "uri", "maxLength": URL_MAX},
        "user": {"type": "integer", "description": "id of an active user"},
    }
    return dict(simple[field_type])


def api_schema(definitions: list[CustomFieldDefinition]) -> dict[str, Any]:
    """The JSON schema (OpenAPI 3.1) of a record's ``custom`` object.

    Every property may be ``null`` (clears the value); required fields are
    listed in ``required``.
    """
    properties = {}
    for definition in definitions:
        schema = _value_schema(definition)
        schema["type"] = [schema["type"], "null"]
        schema["title"] = definition.label_for("en")
        help_text = definition.help_for("en")
        if help_text:
            schema["description"] = help_text
        if definition.default is not None:
            schema["default"] = definition.default
        properties[definition.key] = schema
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [definition.key for definition in definitions if definition.required]
    if required:
        result["required"] = required
    return result


@dataclass(frozen=True)
class ExportColumn:
    """One export column: its header and how to read a record's cell."""

    key: str
    header: str
    value: Callable[[Any], Any]


def export_columns(request: Any, definitions: list[CustomFieldDefinition]) -> list[ExportColumn]:
    """Columns for the export writer, headed in the user's language.

    Cells are plain values the import reads back: numbers as ``int`` or
    ``Decimal``, dates as ``date``, date-times in the user's time zone,
    yes/no, choices and phone numbers as the user reads them, users by username.
    Reading a cell needs no database (users are looked up beforehand), so the
    columns also serve exports streamed after the request ended.
    """
    tz = user_timezone(request)
    locale = request.locale_name
    usernames: dict[int, str] = {}
    if any(definition.field_type == "user" for definition in definitions):
        usernames = dict(request.dbsession.execute(select(User.id, User.username)).all())

    def reader(definition: CustomFieldDefinition) -> Callable[[Any], Any]:
        def read(record: Any) -> Any:
            value = (record.custom or {}).get(definition.key)
            if value is None:
                return None
            return _cell(request, definition, value, tz, usernames)

        return read

    return [
        ExportColumn(definition.key, definition.label_for(locale), reader(definition))
        for definition in definitions
    ]


def _cell(
    request: Any,
    definition: CustomFieldDefinition,
    value: Any,
    tz: dt.tzinfo,
    usernames: dict[int, str],
) -> Any:
    field_type = definition.field_type
    try:
        if field_type in DECIMAL_PLACES:
            return Decimal(value)
        if field_type == "date":
            return dt.date.fromisoformat(value)
        if field_type == "datetime":
            return dt.datetime.fromisoformat(value).astimezone(tz)
        if field_type == "user":
            return usernames.get(int(value), value)
    except (ArithmeticError, TypeError, ValueError):
        return value
    if field_type in ("integer", "text", "long_text", "email", "url"):
        return value
    return request.custom_display(definition, value)
