"""The OpenAPI description of ``/api/v1/customers`` and contacts (paths relative to ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from core.api.openapi import list_parameters, page_schema, problem_responses, ref
from plugins.customers.contact_api import CONTACT_SPEC
from plugins.customers.listing import SPEC
from plugins.customers.models import CHANNELS, DICTIONARY_KINDS, GENDERS, KINDS, STATUSES


def _text(max_length: int, nullable: bool = True) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "maxLength": max_length}


def _dictionary(kind: str, nullable: bool = True) -> dict[str, Any]:
    return {
        **_text(32, nullable),
        "description": f"A code of the {kind} list: see GET /customer-dictionaries.",
    }


def _rating(meaning: str) -> dict[str, Any]:
    return {"type": ["integer", "null"], "minimum": 1, "maximum": 5, "description": meaning}


SENSITIVE_NOTE = (
    " Individuals only (cleared for companies). Encrypted; read back masked "
    "(POST /customers/{id}/reveal shows it, audited). Sending the masked value back "
    "changes nothing."
)


WRITABLE: dict[str, Any] = {
    "code": {
        **_text(32),
        "description": "Blank or missing: numbered automatically from the code pattern "
        "(C2026000001 by default).",
    },
    "name": _text(200, nullable=False),
    "short_name": _text(100),
    "kind": {"type": "string", "enum": list(KINDS)},
    "level": _dictionary("level", nullable=False),
    "status": {"type": "string", "enum": list(STATUSES)},
    "owner_id": {"type": "integer", "description": "Defaults to the caller."},
    "province_code": _text(20),
    "city_code": _text(20),
    "district_code": _text(20),
    "phone": {**_text(32), "description": "Stored in E.164; Chinese numbers may omit +86."},
    "email": _text(254),
    "notes": {"type": ["string", "null"], "maxLength": 5000},
    "industry": _dictionary("industry"),
    "size": _dictionary("size"),
    "source": _dictionary("source"),
    "credit_rating": _rating("From 1 (poor) to 5 (excellent)."),
    "satisfaction": _rating("From 1 (unhappy) to 5 (delighted)."),
    "address": _text(300),
    "website": {
        **_text(200),
        "description": "An http(s) address; www.example.com is stored as https://www.example.com.",
    },
    "credit_code": {
        **_text(18),
        "description": "Unified social credit code (GB 32100-2015), check character verified.",
    },
    "id_number": {
        **_text(18),
        "description": "18-digit resident ID number, check digit verified." + SENSITIVE_NOTE,
    },
    "bank_name": {**_text(100), "description": "Individuals only (cleared for companies)."},
    "bank_account": {**_text(34), "description": "8 to 34 digits." + SENSITIVE_NOTE},
    "custom": {
        "type": "object",
        "description": "Custom field values by key; null clears a value.",
    },
    "tags": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Names of existing tags (see /tags); the whole set is replaced. "
        "Changing them needs customers.customer.edit on the customer.",
    },
}
DICTIONARY_ENTRY = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(DICTIONARY_KINDS)},
        "code": {"type": "string"},
        "label": {"type": "string", "description": "In the caller's language."},
        "labels": {"type": "object", "description": "By language: en, zh_Hans, zh_Hant."},
        "active": {"type": "boolean", "description": "False: retired, no longer accepted."},
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
ALLOW_DUPLICATES = {
    "name": "allow_duplicates",
    "in": "query",
    "schema": {"type": "boolean", "default": False},
    "description": (
        "Save even when customers with the same name, phone, e-mail or credit code exist. "
        "Without it such a save answers 409 with `duplicates` (the ids the caller may see) "
        "and `hidden_duplicates` (how many others)."
    ),
}

SEARCH_PARAMETER = {
    "name": "q",
    "in": "query",
    "description": "Search: words of the name, pinyin or initials (zs for 张三), "
    "code, e-mail, a phone number, its leading digits or its last four.",
    "schema": {"type": "string", "maxLength": 200},
}

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
    "CustomerDictionaryEntry": DICTIONARY_ENTRY,
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
            "parameters": [*list_parameters(SPEC), SEARCH_PARAMETER],
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
            "parameters": [ALLOW_DUPLICATES],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "CustomerInput")}},
            },
            "responses": {
                "201": {"description": "Created.", "content": ONE},
                **problem_responses(400, 401, 403, 409, 413, 415, 422),
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
            "parameters": [
                {"name": "If-Match", "in": "header", "schema": {"type": "string"}},
                ALLOW_DUPLICATES,
            ],
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
    "/contacts": {
        "get": {
            "summary": "List the contacts in your scope",
            "operationId": "listAllContacts",
            "tags": ["contacts"],
            "parameters": [*list_parameters(CONTACT_SPEC), SEARCH_PARAMETER],
            "responses": {
                "200": {
                    "description": "One page.",
                    "content": {
                        "application/json": {"schema": page_schema(ref("schemas", "Contact"))}
                    },
                },
                **problem_responses(400, 401, 403),
            },
        },
    },
    "/customers/{id}/reveal": {
        "parameters": [ID_PARAMETER],
        "post": {
            "summary": "Show the clear value of a customer's ID number or bank account",
            "description": (
                "Needs customers.customer.view_sensitive on the customer (403 without it, "
                "404 outside the view scope). Every call is recorded in the audit trail."
            ),
            "operationId": "revealCustomerField",
            "tags": ["customers"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string", "enum": ["id_number", "bank_account"]}
                            },
                            "required": ["field"],
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The clear value.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "field": {"type": "string"},
                                    "value": {"type": ["string", "null"]},
                                },
                            }
                        }
                    },
                },
                **problem_responses(400, 401, 403, 404, 415, 422),
            },
        },
    },
    "/customer-dictionaries": {
        "get": {
            "summary": "The customer levels, industries, sizes and sources",
            "description": "Retired entries are listed (customers may still have them).",
            "operationId": "listCustomerDictionaries",
            "tags": ["customers"],
            "responses": {
                "200": {
                    "description": "Every entry, by list and position.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "items": ref("schemas", "CustomerDictionaryEntry"),
                                    }
                                },
                            }
                        }
                    },
                },
                **problem_responses(401, 403),
            },
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
            "description": "Needs customers.contact.create on the customer (else 404).",
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
