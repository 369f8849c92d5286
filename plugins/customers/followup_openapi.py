"""The OpenAPI description of ``/api/v1/follow-ups`` (paths relative to ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from core.api.openapi import list_parameters, page_schema, problem_responses, ref
from plugins.customers.followup_api import SPEC
from plugins.customers.followup_models import FOLLOW_UP_STATES, METHODS

TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
WRITABLE: dict[str, Any] = {
    "method": {"type": "string", "enum": list(METHODS)},
    "contact_id": {
        "type": ["integer", "null"],
        "description": "A live contact of the follow-up's customer.",
    },
    "subject": {"type": "string", "maxLength": 200},
    "content": {"type": ["string", "null"], "maxLength": 10000},
    "result": {"type": ["string", "null"], "maxLength": 5000},
}
ONE = {"application/json": {"schema": ref("schemas", "FollowUp")}}
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}

FOLLOWUP_SCHEMAS: dict[str, Any] = {
    "FollowUp": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "user_id": {"type": "integer"},
            "plan_id": {"type": ["integer", "null"]},
            "state": {"type": "string", "enum": list(FOLLOW_UP_STATES)},
            **WRITABLE,
            "happened_at": NULLABLE_TIMESTAMP,
            "due_at": NULLABLE_TIMESTAMP,
            "next_at": NULLABLE_TIMESTAMP,
            "reminded_at": NULLABLE_TIMESTAMP,
            "attachments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size": {"type": "integer"},
                        "sha256": {"type": "string"},
                    },
                },
            },
            "version": {"type": "integer", "description": "Send it back (or If-Match) to edit."},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
        "required": ["id", "customer_id", "user_id", "state", "method", "subject", "version"],
    },
    "FollowUpInput": {
        "type": "object",
        "properties": {
            "customer_id": {"type": "integer"},
            **WRITABLE,
            "happened_at": {**NULLABLE_TIMESTAMP, "description": "Defaults to now."},
            "next_at": {
                **NULLABLE_TIMESTAMP,
                "description": "Plans the next follow-up for the caller, due then.",
            },
        },
        "required": ["customer_id", "subject"],
        "additionalProperties": False,
    },
    "FollowUpPatch": {
        "type": "object",
        "properties": {
            **WRITABLE,
            "happened_at": {**NULLABLE_TIMESTAMP, "description": "Done follow-ups only."},
            "due_at": {**NULLABLE_TIMESTAMP, "description": "Planned follow-ups only."},
            "version": {"type": "integer"},
        },
        "additionalProperties": False,
    },
}

FOLLOWUP_PATHS: dict[str, Any] = {
    "/follow-ups": {
        "get": {
            "summary": "List the follow-ups of the customers in your scope",
            "operationId": "listFollowUps",
            "tags": ["follow-ups"],
            "parameters": list_parameters(SPEC),
            "responses": {
                "200": {
                    "description": "One page.",
                    "content": {
                        "application/json": {"schema": page_schema(ref("schemas", "FollowUp"))}
                    },
                },
                **problem_responses(400, 401, 403),
            },
        },
        "post": {
            "summary": "Log a follow-up",
            "description": "Needs customers.follow_up.create on the customer (else 404).",
            "operationId": "createFollowUp",
            "tags": ["follow-ups"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "FollowUpInput")}},
            },
            "responses": {
                "201": {"description": "Logged.", "content": ONE},
                **problem_responses(400, 401, 403, 404, 413, 415, 422),
            },
        },
    },
    "/follow-ups/{id}": {
        "parameters": [ID_PARAMETER],
        "get": {
            "summary": "Read a follow-up",
            "operationId": "getFollowUp",
            "tags": ["follow-ups"],
            "responses": {
                "200": {"description": "The follow-up; its version is the ETag.", "content": ONE},
                **problem_responses(401, 403, 404),
            },
        },
        "patch": {
            "summary": "Change some fields of a follow-up",
            "operationId": "updateFollowUp",
            "tags": ["follow-ups"],
            "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "FollowUpPatch")}},
            },
            "responses": {
                "200": {"description": "Saved.", "content": ONE},
                **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
            },
        },
        "delete": {
            "summary": "Delete a follow-up",
            "operationId": "deleteFollowUp",
            "tags": ["follow-ups"],
            "responses": {"204": {"description": "Deleted."}, **problem_responses(401, 403, 404)},
        },
    },
}
