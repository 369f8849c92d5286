"""The OpenAPI description of ``/api/v1/customers`` (paths relative to ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from core.api.openapi import list_parameters, page_schema, problem_responses, ref
from plugins.customers.listing import SPEC
from plugins.customers.models import KINDS, LEVELS, STATUSES


def _text(max_length: int, nullable: bool = True) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "maxLength": max_length}


WRITABLE: dict[str, Any] = {
    "code": {**_text(32), "description": "Blank or missing: numbered automatically (C2026000001)."},
    "name": _text(200, nullable=False),
    "short_name": _text(100),
    "kind": {"type": "string", "enum": list(KINDS)},
    "level": {"type": "string", "enum": list(LEVELS)},
    "status": {"type": "string", "enum": list(STATUSES)},
    "owner_id": {"type": "integer", "description": "Defaults to the caller."},
    "province_code": _text(20),
    "city_code": _text(20),
    "district_code": _text(20),
    "phone": {**_text(32), "description": "Stored in E.164; Chinese numbers may omit +86."},
    "email": _text(254),
    "notes": {"type": ["string", "null"], "maxLength": 5000},
    "custom": {
        "type": "object",
        "description": "Custom field values by key; null clears a value.",
    },
}
TIMESTAMP = {"type": "string", "format": "date-time"}
ONE = {"application/json": {"schema": ref("schemas", "Customer")}}

SCHEMAS: dict[str, Any] = {
    "Customer": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            **WRITABLE,
            "team_id": {"type": ["integer", "null"], "description": "The owner's team."},
            "version": {"type": "integer", "description": "Send it back (or If-Match) to edit."},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
        "required": ["id", "code", "name", "kind", "level", "status", "owner_id", "version"],
    },
    "CustomerInput": {
        "type": "object",
        "properties": WRITABLE,
        "required": ["name"],
        "additionalProperties": False,
    },
    "CustomerPatch": {
        "type": "object",
        "properties": {**WRITABLE, "version": {"type": "integer"}},
        "additionalProperties": False,
    },
}

PATHS: dict[str, Any] = {
    "/customers": {
        "get": {
            "summary": "List the customers in your scope",
            "operationId": "listCustomers",
            "tags": ["customers"],
            "parameters": list_parameters(SPEC),
            "responses": {
                "200": {
                    "description": "One page.",
                    "content": {
                        "application/json": {"schema": page_schema(ref("schemas", "Customer"))}
                    },
                },
                **problem_responses(400, 401, 403),
            },
        },
        "post": {
            "summary": "Create a customer",
            "operationId": "createCustomer",
            "tags": ["customers"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "CustomerInput")}},
            },
            "responses": {
                "201": {"description": "Created.", "content": ONE},
                **problem_responses(400, 401, 403, 413, 415, 422),
            },
        },
    },
    "/customers/{id}": {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "get": {
            "summary": "Read a customer",
            "operationId": "getCustomer",
            "tags": ["customers"],
            "responses": {
                "200": {"description": "The customer; its version is the ETag.", "content": ONE},
                **problem_responses(401, 403, 404),
            },
        },
        "patch": {
            "summary": "Change some fields of a customer",
            "description": (
                "Allowed when customers.customer.edit (every field but the status) or "
                "customers.customer.edit_status (the status) reaches the customer, else 404. "
                "Fields guarded by a permission the caller lacks on this customer may be "
                "sent with their current value; changing one answers 403 with the refused "
                "fields in `errors`, and nothing is saved."
            ),
            "operationId": "updateCustomer",
            "tags": ["customers"],
            "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "CustomerPatch")}},
            },
            "responses": {
                "200": {"description": "Saved.", "content": ONE},
                **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
            },
        },
        "delete": {
            "summary": "Delete a customer (it can be restored from the list page)",
            "operationId": "deleteCustomer",
            "tags": ["customers"],
            "responses": {"204": {"description": "Deleted."}, **problem_responses(401, 403, 404)},
        },
    },
}
