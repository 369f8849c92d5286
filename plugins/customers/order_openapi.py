"""The OpenAPI description of ``/orders`` and ``/contracts`` (paths relative to ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from core.api.openapi import list_parameters, page_schema, problem_responses, ref
from plugins.customers.order_api import CONTRACT_SPEC, ORDER_SPEC
from plugins.customers.order_forms import MAX_LINES
from plugins.customers.order_models import CONTRACT_STATES, ORDER_STATES
from plugins.customers.orders import CURRENCIES

DECIMAL = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
DECIMAL_IN = {
    "type": ["string", "number"],
    "description": 'A decimal string ("12.50") or a JSON number.',
}
DATE = {"type": "string", "format": "date"}
OPTIONAL_DATE = {"type": ["string", "null"], "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time"}
NUMBER = {
    "type": ["string", "null"],
    "maxLength": 32,
    "description": "Blank or missing: numbered automatically.",
}
NOTES = {"type": ["string", "null"], "maxLength": 5000}
CURRENCY = {"type": "string", "enum": list(CURRENCIES), "default": "CNY"}
CUSTOMER_ID = {
    "type": "integer",
    "description": "The customer; fixed once created. Out of your scope: 404.",
}
VERSION = {"type": "integer", "description": "Send it back (or If-Match) to edit."}
LINE = {
    "type": "object",
    "properties": {
        "product_code": {"type": ["string", "null"], "maxLength": 64},
        "product_name": {"type": "string", "maxLength": 200},
        "quantity": {**DECIMAL_IN, "description": "Above 0, at most 3 decimal places."},
        "unit_price": {**DECIMAL_IN, "description": "0 or more, at most 2 decimal places."},
    },
    "required": ["product_name", "quantity", "unit_price"],
    "additionalProperties": False,
}
ORDER_WRITABLE: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "number": {**NUMBER, "examples": ["SO2026000001"]},
    "ordered_on": DATE,
    "currency": CURRENCY,
    "state": {"type": "string", "enum": list(ORDER_STATES), "default": "confirmed"},
    "notes": NOTES,
    "lines": {
        "type": "array",
        "items": LINE,
        "minItems": 1,
        "maxItems": MAX_LINES,
        "description": "Replaces every line of the order. The amount is their sum.",
    },
}
CONTRACT_WRITABLE: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "number": {**NUMBER, "examples": ["HT202600001"]},
    "title": {"type": "string", "maxLength": 200},
    "signed_on": OPTIONAL_DATE,
    "starts_on": OPTIONAL_DATE,
    "ends_on": {**OPTIONAL_DATE, "description": "Not before starts_on."},
    "amount": {
        **DECIMAL_IN,
        "type": ["string", "number", "null"],
        "description": "Blank: the total of the linked orders.",
    },
    "currency": CURRENCY,
    "state": {"type": "string", "enum": list(CONTRACT_STATES), "default": "draft"},
    "notes": NOTES,
    "order_ids": {
        "type": "array",
        "items": {"type": "integer"},
        "description": "Live orders of the same customer (others: 404). Replaces the links.",
    },
}
STAMPS = {"version": VERSION, "created_at": TIMESTAMP, "updated_at": TIMESTAMP}


def _output(writable: dict[str, Any], **changed: Any) -> dict[str, Any]:
    return {"id": {"type": "integer"}, **writable, **changed, **STAMPS}


def _input(writable: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": writable,
        "required": required,
        "additionalProperties": False,
    }


def _patch(writable: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**writable, "version": {"type": "integer"}},
        "additionalProperties": False,
    }


ORDER_SCHEMAS: dict[str, Any] = {
    "Order": {
        "type": "object",
        "properties": _output(
            ORDER_WRITABLE,
            amount={**DECIMAL, "description": "The sum of the lines, rounded half-up."},
            lines={
                "type": "array",
                "items": {
                    **LINE,
                    "properties": {
                        **LINE["properties"],
                        "quantity": DECIMAL,
                        "unit_price": DECIMAL,
                    },
                },
            },
        ),
        "required": ["id", "customer_id", "number", "ordered_on", "amount", "lines", "version"],
    },
    "OrderInput": _input(ORDER_WRITABLE, ["customer_id", "ordered_on", "lines"]),
    "OrderPatch": _patch(ORDER_WRITABLE),
    "Contract": {
        "type": "object",
        "properties": _output(CONTRACT_WRITABLE, amount=DECIMAL),
        "required": ["id", "customer_id", "number", "title", "amount", "order_ids", "version"],
    },
    "ContractInput": _input(CONTRACT_WRITABLE, ["customer_id", "title"]),
    "ContractPatch": _patch(CONTRACT_WRITABLE),
}


def _resource(
    name: str, title: str, spec: Any, tag: str, scope_note: str
) -> dict[str, dict[str, Any]]:
    """The path items of a list-create collection and its single records."""
    one = {"application/json": {"schema": ref("schemas", title)}}
    many = f"/{name}"
    return {
        many: {
            "get": {
                "summary": f"List the {name} of customers in your scope",
                "operationId": f"list{title}s",
                "tags": [tag],
                "parameters": list_parameters(spec),
                "responses": {
                    "200": {
                        "description": "One page.",
                        "content": {
                            "application/json": {"schema": page_schema(ref("schemas", title))}
                        },
                    },
                    **problem_responses(400, 401, 403),
                },
            },
            "post": {
                "summary": f"Record a {title.lower()}",
                "description": scope_note,
                "operationId": f"create{title}",
                "tags": [tag],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("schemas", f"{title}Input")}},
                },
                "responses": {
                    "201": {"description": "Created.", "content": one},
                    **problem_responses(400, 401, 403, 404, 413, 415, 422),
                },
            },
        },
        many + "/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "summary": f"Read a {title.lower()}",
                "operationId": f"get{title}",
                "tags": [tag],
                "responses": {
                    "200": {"description": "Its version is the ETag.", "content": one},
                    **problem_responses(401, 403, 404),
                },
            },
            "patch": {
                "summary": f"Change some fields of a {title.lower()}",
                "operationId": f"update{title}",
                "tags": [tag],
                "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("schemas", f"{title}Patch")}},
                },
                "responses": {
                    "200": {"description": "Saved.", "content": one},
                    **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
                },
            },
            "delete": {
                "summary": f"Delete a {title.lower()}",
                "operationId": f"delete{title}",
                "tags": [tag],
                "responses": {
                    "204": {"description": "Deleted."},
                    **problem_responses(401, 403, 404, 409),
                },
            },
        },
    }


ORDER_PATHS: dict[str, Any] = {
    **_resource(
        "orders",
        "Order",
        ORDER_SPEC,
        "orders",
        "Needs customers.order.create on the customer (else 404).",
    ),
    **_resource(
        "contracts",
        "Contract",
        CONTRACT_SPEC,
        "contracts",
        "Needs customers.order.create on the customer (else 404); linked orders must be "
        "live orders of the same customer (else 404).",
    ),
}
