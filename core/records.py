"""The record types of the enabled modules, and the permission catalogue per request."""

from __future__ import annotations

from typing import Any

from core.contributions import Permission, RecordType
from core.security.catalog import collect_permissions


def collect_record_types(hooks: Any) -> dict[str, RecordType]:
    """Record types by name from the given hook relay; duplicates are an error."""
    found: dict[str, RecordType] = {}
    for record_types in hooks.guanxi_record_types():
        for record_type in record_types:
            if record_type.name in found:
                raise ValueError(f"record type {record_type.name} is declared twice")
            found[record_type.name] = record_type
    return found


def record_type_of(request: Any, model: type) -> RecordType | None:
    """The record type declared for ``model``, if its module is enabled."""
    for record_type in request.record_types.values():
        if record_type.model is model:
            return record_type
    return None


CACHE_KEY = "record_catalogue_cache"


def forget_record_types(registry: Any) -> None:
    """Drop the cached record types and permissions (after plugins were added or removed)."""
    registry[CACHE_KEY].clear()


def includeme(config: Any) -> None:
    """``request.record_types`` and ``request.permissions`` for the enabled modules."""
    cache: dict[tuple[str, frozenset[str]], Any] = {}
    config.registry[CACHE_KEY] = cache

    def cached(kind: str, request: Any, build: Any) -> Any:
        key = (kind, request.enabled_modules)
        if key not in cache:
            cache[key] = build(request.hooks)
        return cache[key]

    def record_types(request: Any) -> dict[str, RecordType]:
        return cached("record_types", request, collect_record_types)

    def permissions(request: Any) -> dict[str, Permission]:
        return cached("permissions", request, collect_permissions)

    config.add_request_method(record_types, "record_types", reify=True)
    config.add_request_method(permissions, "permissions", reify=True)
