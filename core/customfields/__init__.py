"""Custom fields: definitions per record type, validation, forms, filters and admin pages.

Public API: :mod:`core.customfields.service` (definitions and values),
:mod:`core.customfields.forms` (dynamic WTForms fields),
:mod:`core.customfields.filters` (filters and indexes) and
:mod:`core.customfields.serialize` (API schema and export columns).
"""

from __future__ import annotations

from typing import Any

from core.customfields.models import CustomFieldDefinition
from core.customfields.service import definitions_for, display_value


def custom_fields(request: Any, record_type: str) -> list[CustomFieldDefinition]:
    """The active fields of ``record_type``, loaded once per request."""
    cache = request.custom_field_cache
    if record_type not in cache:
        cache[record_type] = definitions_for(request.dbsession, record_type)
    return cache[record_type]


def includeme(config: Any) -> None:
    """Request methods and the settings pages.

    ``request.custom_fields(record_type)`` gives the active fields (cached for the
    request); ``request.custom_display(definition, value)`` formats a stored value.
    """
    config.add_request_method(lambda request: {}, "custom_field_cache", reify=True)
    config.add_request_method(custom_fields, "custom_fields")
    config.add_request_method(display_value, "custom_display")
    config.include("core.customfields.views")
