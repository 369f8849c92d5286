"""The OpenAPI 3.1 document of ``/api/v1``: the core's endpoints plus every enabled module's.

Modules describe their resources with ``guanxi_api_resources()`` (``ApiResource.paths`` are
relative to ``/api/v1``) and can reuse the shared components: the ``Problem`` schema, the
problem responses (:func:`problem_responses`), the pagination parameters
(:func:`list_parameters` derives them, with every filter, from the endpoint's ``ListSpec``)
and the ``bearerAuth`` security scheme.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from core.api.listing import DEFAULT_LIMIT, MAX_LIMIT, MAX_STRING, ListSpec
from core.api.problems import PROBLEM_TYPE_BASE
from core.contributions import ApiResource

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.1.0"
_CACHE_KEY = "openapi_documents"


class OpenApiError(ValueError):
    """Two resources describe the same path or schema."""


def ref(kind: str, name: str) -> dict[str, str]:
    """A ``$ref`` to ``#/components/<kind>/<name>``."""
    return {"$ref": f"#/components/{kind}/{name}"}


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document; the title is in the request's language.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [PROBLEM_TYPE_BASE + "conflict"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "parameter": {"type": "string", "description": "The rejected query parameter."},
        "current_version": {"type": "integer", "description": "The record's version (409)."},
        "errors": {
            "type": "object",
            "description": "Messages per field (422).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

#: Problem responses by status: (component name, description).
PROBLEM_RESPONSES = {
    400: ("BadRequest", "A query parameter, the JSON body or a header is invalid."),
    401: ("Unauthenticated", "No valid bearer token or session."),
    403: ("Forbidden", "The user or token lacks the permission."),
    404: ("NotFound", "No such record within the caller's data scope."),
    409: ("Conflict", "The record changed since the given version."),
    410: ("Gone", "It existed, but is no longer available (an expired download)."),
    413: ("TooLarge", "The body is larger than 1 MB."),
    415: ("UnsupportedMediaType", "The body is not application/json."),
    422: ("ValidationFailed", "Some fields are invalid; see errors."),
    428: ("VersionRequired", "Send the version (body version or If-Match)."),
}

PARAMETERS: dict[str, Any] = {
    "limit": {
        "name": "limit",
        "in": "query",
        "description": "Page size.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "description": "Opaque cursor from the previous page's next link.",
        "schema": {"type": "string"},
    },
    "sort": {
        "name": "sort",
        "in": "query",
        "description": "Field to sort by, prefixed with - for descending; ties break by id.",
        "schema": {"type": "string", "pattern": "^-?[a-z_][a-z0-9_]*$"},
    },
}

_FILTER_SCHEMAS: dict[type, dict[str, Any]] = {
    str: {"type": "string", "maxLength": MAX_STRING},
    int: {"type": "integer"},
    decimal.Decimal: {"type": "string", "pattern": r"^[+-]?[0-9]{1,20}(\.[0-9]{1,10})?$"},
    dt.date: {"type": "string", "format": "date"},
    dt.datetime: {"type": "string", "format": "date-time"},
    bool: {"type": "boolean"},
}


def problem_responses(*statuses: int) -> dict[str, Any]:
    """``responses`` entries referring to the shared problem responses."""
    return {str(status): ref("responses", PROBLEM_RESPONSES[status][0]) for status in statuses}


def page_schema(item: dict[str, Any]) -> dict[str, Any]:
    """The schema of one page of a list endpoint whose items follow ``item``."""
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next": {
                "type": ["string", "null"],
                "description": "URL of the next page; null on the last page.",
            },
        },
    }


def list_parameters(spec: ListSpec) -> list[dict[str, Any]]:
    """Pagination, sort and filter parameters of a list endpoint, derived from its spec."""
    sorts = sorted({"id", *spec.sorts})
    parameters: list[dict[str, Any]] = [
        ref("parameters", "limit"),
        ref("parameters", "cursor"),
        {
            "name": "sort",
            "in": "query",
            "description": f"Sort order (default {spec.default_sort}); ties break by id.",
            "schema": {"type": "string", "enum": [*sorts, *(f"-{name}" for name in sorts)]},
        },
    ]
    for name, declared in spec.filters.items():
        for op in declared.ops:
            schema = _FILTER_SCHEMAS[declared.type]
            description = f"{name} {op}"
            if op == "isnull":
                schema = {"type": "boolean"}
            elif op == "in":
                schema = {"type": "string"}
                description += " (comma-separated values)"
            parameters.append(
                {
                    "name": name if op == "eq" else f"{name}__{op}",
                    "in": "query",
                    "description": description,
                    "schema": schema,
                }
            )
    return parameters


def components() -> dict[str, Any]:
    """The components every document starts with."""
    return {
        "schemas": {"Problem": PROBLEM_SCHEMA},
        "parameters": dict(PARAMETERS),
        "responses": {
            name: {
                "description": description,
                "content": {"application/problem+json": {"schema": ref("schemas", "Problem")}},
            }
            for name, description in PROBLEM_RESPONSES.values()
        },
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API token (My account → API tokens).",
            }
        },
    }


def build_document(resources: Iterable[ApiResource]) -> dict[str, Any]:
    """The OpenAPI document of ``resources``; a path or schema declared twice is an error."""
    parts = components()
    schemas: dict[str, Any] = parts["schemas"]
    paths: dict[str, Any] = {}
    owners: dict[tuple[str, str], str] = {("schema", "Problem"): "core"}
    for resource in resources:
        for kind, target, entries in (
            ("path", paths, resource.paths),
            ("schema", schemas, resource.schemas),
        ):
            for key, value in entries.items():
                if key in target:
                    raise OpenApiError(
                        f"the {kind} {key} is declared by both {owners[kind, key]} "
                        f"and {resource.name}"
                    )
                owners[kind, key] = resource.name
                target[key] = value
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Guanxi CRM API",
            "version": "1",
            "description": (
                "JSON in and out. Lists use cursor pagination (follow next); errors are "
                "RFC 9457 problem documents; writes send the version they read."
            ),
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": parts,
    }


def collect_resources(hooks: Any) -> list[ApiResource]:
    """The API resources the given hook relay declares (the core's and the modules')."""
    return [resource for resources in hooks.guanxi_api_resources() for resource in resources]


def openapi_document(request: Any) -> dict[str, Any]:
    """The document for the request's enabled modules, built once per set of modules."""
    cache = request.registry.setdefault(_CACHE_KEY, {})
    key = request.enabled_modules
    if key not in cache:
        cache[key] = build_document(collect_resources(request.hooks))
    return cache[key]
