"""The OpenAPI description of ``/api/v1/customers`` and contacts (paths relative to ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from core.api.openapi import list_parameters, page_schema, problem_responses, ref
from plugins.customers.listing import SPEC
from plugins.customers.models import CHANNELS, GENDERS, KINDS, LEVELS, STATUSES


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
CONTACT_WRITABLE: dict[str, Any] = {
    "name": _text(100, nullable=False),
    "gender": {"type": "string", "enum": list(GENDERS)},
    "title": _text(100),
    "department": _text(100),
    "mobile": {**_text(32), "description": "Stored in E.164; Chinese numbers may omit +86."},
    "phone": {**_text(32), "description": "Stored in E.164; Chinese numbers may omit +86."},
    "email": _text(254),
    "wechat_id": _text(64),
    "birthday": {"type": ["string", "null"], "format": "date"},
    "preferred_channel": {"type": ["string", "null"], "enum": [*CHANNELS, None]},
    "notes": {"type": ["string", "null"], "maxLength": 5000},
    "is_primary": {
        "type": "boolean",
        "description": "True moves the customer's primary flag here; the first contact is "
        "always primary, and the primary flag cannot be cleared, only moved.",
    },
    "custom": WRITABLE["custom"],
}
TIMESTAMP = {"type": "string", "format": "date-time"}
ONE = {"application/json": {"schema": ref("schemas", "Customer")}}
ONE_CONTACT = {"application/json": {"schema": ref("schemas", "Contact")}}
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}

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
    "Contact": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            **CONTACT_WRITABLE,
            "version": {"type": "integer", "description": "Send it back (or If-Match) to edit."},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
        "required": ["id", "customer_id", "name", "gender", "is_primary", "version"],
    },
    "ContactInput": {
        "type": "object",
        "properties": CONTACT_WRITABLE,
        "required": ["name"],
        "additionalProperties": False,
    },
    "ContactPatch": {
        "type": "object",
        "properties": {**CONTACT_WRITABLE, "version": {"type": "integer"}},
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
    "/customers/{id}/contacts": {
        "parameters": [ID_PARAMETER],
        "get": {
            "summary": "List a customer's contacts (the primary first)",
            "operationId": "listContacts",
            "tags": ["contacts"],
            "responses": {
                "200": {
                    "description": "Every live contact of the customer.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": ref("schemas", "Contact")}
                                },
                            }
                        }
                    },
                },
                **problem_responses(401, 403, 404),
            },
        },
        "post": {
            "summary": "Add a contact to a customer",
            "description": "Needs customers.customer.edit on the customer (else 404).",
            "operationId": "createContact",
            "tags": ["contacts"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "ContactInput")}},
            },
            "responses": {
                "201": {"description": "Created.", "content": ONE_CONTACT},
                **problem_responses(400, 401, 403, 404, 413, 415, 422),
            },
        },
    },
    "/contacts/{id}": {
        "parameters": [ID_PARAMETER],
        "get": {
            "summary": "Read a contact",
            "operationId": "getContact",
            "tags": ["contacts"],
            "responses": {
                "200": {
                    "description": "The contact; its version is the ETag.",
                    "content": ONE_CONTACT,
                },
                **problem_responses(401, 403, 404),
            },
        },
        "patch": {
            "summary": "Change some fields of a contact",
            "operationId": "updateContact",
            "tags": ["contacts"],
            "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "ContactPatch")}},
            },
            "responses": {
                "200": {"description": "Saved.", "content": ONE_CONTACT},
                **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
            },
        },
        "delete": {
            "summary": "Delete a contact (the next oldest becomes primary if it was)",
            "operationId": "deleteContact",
            "tags": ["contacts"],
            "responses": {"204": {"description": "Deleted."}, **problem_responses(401, 403, 404)},
        },
    },
}
