"""Checking the shape of a JSON body before its values are validated."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from core.api.writes import validation_problem
from plugins.customers import _

#: The key of custom field values in a record's JSON form.
CUSTOM = "custom"


def is_whole_number(value: Any) -> bool:
    """An integer that is not a JSON ``true``/``false``."""
    return isinstance(value, int) and not isinstance(value, bool)


def checked_fields(
    request: Any,
    body: dict[str, Any],
    columns: Collection[str],
    typed: Mapping[str, tuple[Callable[[Any], bool], Any]] | None = None,
) -> dict[str, Any]:
    """``body`` unchanged, or a 422 naming unknown fields and values of the wrong type.

    Fields are text (or null) unless ``typed`` gives ``(accepts, message)`` for them.
    """
    typed = typed or {}
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        if name == CUSTOM:
            accepted, message = isinstance(value, dict), _("Give custom fields as an object.")
        elif name not in columns:
            accepted, message = False, _("There is no such field.")
        elif name in typed:
            accepts, message = typed[name]
            accepted = accepts(value)
        else:
            accepted = value is None or isinstance(value, str)
            message = _("Give this field as text.")
        if not accepted:
            errors[name] = [request.translate(message)]
    if errors:
        raise validation_problem(errors)
    return body
