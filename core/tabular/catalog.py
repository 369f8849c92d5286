"""The record types the enabled modules offer for import and export, per request."""

from __future__ import annotations

from typing import Any

from core.contributions import TabularType

CACHE_KEY = "tabular_types_cache"


def collect_tabular_types(hooks: Any) -> dict[str, TabularType]:
    """Types by name from the hook relay, in their ``order``; a name used twice is an error."""
    found: dict[str, TabularType] = {}
    for offered in hooks.guanxi_tabular_types():
        for tabular_type in offered:
            if tabular_type.name in found:
                raise ValueError(f"tabular type {tabular_type.name} is declared twice")
            found[tabular_type.name] = tabular_type
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def tabular_types(request: Any) -> dict[str, TabularType]:
    """The types of the request's enabled modules (cached per set of enabled modules)."""
    cache = request.registry.setdefault(CACHE_KEY, {})
    key = request.enabled_modules
    if key not in cache:
        cache[key] = collect_tabular_types(request.hooks)
    return cache[key]


def permitted(request: Any, action: str) -> dict[str, TabularType]:
    """The types the user may ``import`` or ``export`` (and that offer it)."""
    identity = request.identity
    if identity is None:
        return {}
    found = {}
    for name, tabular_type in tabular_types(request).items():
        offered = tabular_type.importer if action == "import" else tabular_type.exporter
        permission = (
            tabular_type.import_permission if action == "import" else tabular_type.export_permission
        )
        if offered is not None and identity.can(permission):
            found[name] = tabular_type
    return found
