"""Custom fields in imports: one column per field, read with the same validation as forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from core.contributions import TabularField
from core.customfields.models import CustomFieldDefinition
from core.customfields.service import REQUIRED, validate_value
from core.tabular.values import CellError, parse_date, parse_datetime

#: Field keys of custom fields: ``cf_<key>``.
PREFIX = "cf_"
KINDS = {"integer": "number", "decimal": "number", "money": "number", "date": "date"}


def custom_tabular_fields(
    definitions: Iterable[CustomFieldDefinition], locale: str
) -> list[TabularField]:
    """One import column per custom field, named by its label in any language."""
    return [
        TabularField(
            key=PREFIX + definition.key,
            label=definition.label_for(locale),
            aliases=(definition.key, *(definition.labels or {}).values()),
            required=definition.required,
            kind=KINDS.get(definition.field_type, "text"),
            choices=tuple(
                definition.choice_label(value, locale) for value in definition.choice_values()
            ),
            help=definition.help_for(locale),
        )
        for definition in definitions
    ]


def _cell(definition: CustomFieldDefinition, raw: Any, tz: dt.tzinfo) -> Any:
    """A date or date-time cell as the custom field validation reads it."""
    if definition.field_type == "date":
        return parse_date(raw).isoformat()
    if definition.field_type == "datetime":
        return parse_datetime(raw, tz)
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def custom_values(
    session: Any,
    definitions: Iterable[CustomFieldDefinition],
    cells: Mapping[str, Any],
    tz: dt.tzinfo,
    *,
    partial: bool,
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Clean custom values by key and errors by column key (``cf_<key>``) of one row.

    Fields without a cell keep their default (a new record) or are left alone
    (``partial``, an update).
    """
    clean: dict[str, Any] = {}
    errors: dict[str, list[Any]] = {}
    for definition in definitions:
        column = PREFIX + definition.key
        if column not in cells:
            if partial:
                continue
            if definition.default is None:
                if definition.required:
                    errors[column] = [REQUIRED]
                continue
            raw = definition.default
        else:
            try:
                raw = _cell(definition, cells[column], tz)
            except CellError as error:
                errors[column] = [error.message]
                continue
        value, message = validate_value(definition, raw, session=session, tz=tz)
        if message is not None:
            errors[column] = [message]
        elif value is not None:
            clean[definition.key] = value
    return clean, errors
