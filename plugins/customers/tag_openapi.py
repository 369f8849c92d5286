"""The OpenAPI description of ``/api/v1/tags`` (paths relative to ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from core.api.openapi import list_parameters, page_schema, problem_responses, ref
from plugins.customers.tags import DEFAULT_COLOR, NAME_MAX, PALETTE, TAG_SPEC

WRITABLE: dict[str, Any] = {
    "name": {
        "type": "string",
        "maxLength": NAME_MAX,
        "description": "Trimmed and NFKC-normalised; unique regardless of case. "
        'A name like "行业-制造业" puts the tag in the group "行业". System tags keep their name.',
    },
    "color": {"type": "string", "enum": list(PALETTE), "default": DEFAULT_COLOR},
}
ONE = {"application/json": {"schema": ref("schemas", "Tag")}}
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}

TAG_SCHEMAS: dict[str, Any] = {
    "Tag": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            **WRITABLE,
            "group": {"type": ["string", "null"], "description": "Derived from the name."},
            "is_system": {
                "type": "boolean",
                "description": "Used by the application: cannot be renamed or deleted.",
            },
            "version": {"type": "integer", "description": "Send it back (or If-Match) to edit."},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "name", "color", "group", "is_system", "version"],
    },
    "TagInput": {
        "type": "object",
        "properties": WRITABLE,
        "required": ["name"],
        "additionalProperties": False,
    },
    "TagPatch": {
        "type": "object",
        "properties": {**WRITABLE, "version": {"type": "integer"}},
        "additionalProperties": False,
    },
}

TAG_PATHS: dict[str, Any] = {
    "/tags": {
        "get": {
            "summary": "List the tags",
            "operationId": "listTags",
            "tags": ["tags"],
            "parameters": list_parameters(TAG_SPEC),
            "responses": {
                "200": {
                    "description": "One page.",
                    "content": {"application/json": {"schema": page_schema(ref("schemas", "Tag"))}},
                },
                **problem_responses(400, 401, 403),
            },
        },
        "post": {
            "summary": "Create a tag",
            "description": "Needs customers.tag.manage.",
            "operationId": "createTag",
            "tags": ["tags"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "TagInput")}},
            },
            "responses": {
                "201": {"description": "Created.", "content": ONE},
                **problem_responses(400, 401, 403, 413, 415, 422),
            },
        },
    },
    "/tags/{id}": {
        "parameters": [ID_PARAMETER],
        "get": {
            "summary": "Read a tag",
            "operationId": "getTag",
            "tags": ["tags"],
            "responses": {
                "200": {"description": "The tag; its version is the ETag.", "content": ONE},
                **problem_responses(401, 403, 404),
            },
        },
        "patch": {
            "summary": "Rename or recolour a tag",
            "description": "Needs customers.tag.manage. Renaming a system tag answers 422.",
            "operationId": "updateTag",
            "tags": ["tags"],
            "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "TagPatch")}},
            },
            "responses": {
                "200": {"description": "Saved.", "content": ONE},
                **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
            },
        },
        "delete": {
            "summary": "Delete a tag (it is taken off every customer)",
            "description": "Needs customers.tag.manage. Deleting a system tag answers 422.",
            "operationId": "deleteTag",
            "tags": ["tags"],
            "responses": {
                "204": {"description": "Deleted."},
                **problem_responses(401, 403, 404, 422),
            },
        },
    },
}
