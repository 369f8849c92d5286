"""The core's own API endpoints: who am I, and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from core.api.openapi import API_PREFIX, openapi_document, problem_responses, ref
from core.contributions import SCOPES, ApiResource
from core.security.identity import Identity
from core.security.models import User


def iso(value: dt.datetime | None) -> str | None:
    """A timestamp as ISO 8601 text (``None`` stays ``None``)."""
    return None if value is None else value.isoformat()


def serialize_profile(user: User) -> dict[str, Any]:
    """A user's id and profile, as every API representation of a user starts."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
    }


def serialize_identity(identity: Identity) -> dict[str, Any]:
    """The caller: profile, team, regions, roles, permissions with scopes, and the token used."""
    user = identity.user
    token = identity.token
    return {
        **serialize_profile(user),
        "team": None if user.team is None else {"id": user.team.id, "name": user.team.name},
        "regions": [{"code": region.code, "name": region.name} for region in user.regions],
        "roles": [{"id": role.id, "key": role.key, "name": role.name} for role in user.roles],
        "permissions": {name: sorted(identity.grants[name]) for name in sorted(identity.grants)},
        "token": None
        if token is None
        else {
            "id": token.id,
            "name": token.name,
            "permissions": list(token.permissions or ()),
            "expires_at": iso(token.expires_at),
        },
    }


@view_config(route_name="api_me", request_method="GET", renderer="json", permission="authenticated")
def me(request: Any) -> dict[str, Any]:
    """``GET /api/v1/me``: the user (and token) the request authenticates as."""
    return serialize_identity(request.identity)


@view_config(
    route_name="api_openapi",
    request_method="GET",
    renderer="json",
    permission=NO_PERMISSION_REQUIRED,
)
def openapi(request: Any) -> dict[str, Any]:
    """``GET /api/v1/openapi.json``: the API description for the enabled modules."""
    return openapi_document(request)


_NULLABLE_STRING = {"type": ["string", "null"]}
#: The schema properties of :func:`serialize_profile`.
PROFILE_PROPERTIES = {
    "id": {"type": "integer"},
    "username": {"type": "string"},
    "display_name": {"type": "string"},
    "email": _NULLABLE_STRING,
    "language": _NULLABLE_STRING,
    "timezone": _NULLABLE_STRING,
}
_NAMED = {"type": "object", "required": ["id", "name"]}

ME_RESOURCE = ApiResource(
    name="core.me",
    paths={
        "/me": {
            "get": {
                "operationId": "getMe",
                "summary": "The authenticated user, their permissions and the token used",
                "tags": ["core"],
                "responses": {
                    "200": {
                        "description": "The caller.",
                        "content": {"application/json": {"schema": ref("schemas", "Me")}},
                    },
                    **problem_responses(401),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "tags": ["core"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document of the enabled modules.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    schemas={
        "Me": {
            "type": "object",
            "required": ["id", "username", "permissions", "token"],
            "properties": {
                **PROFILE_PROPERTIES,
                "team": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            **_NAMED,
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                        },
                    ]
                },
                "regions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                    },
                },
                "roles": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "key": _NULLABLE_STRING,
                            "name": {"type": "string"},
                        },
                    },
                },
                "permissions": {
                    "type": "object",
                    "description": "Permission → the data scopes it is granted with.",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(SCOPES)},
                    },
                },
                "token": {
                    "description": "The API token of the request (null for a browser session).",
                    "oneOf": [
                        {"type": "null"},
                        {
                            **_NAMED,
                            "properties": {
                                "id": {"type": "integer"},
                                "name": {"type": "string"},
                                "permissions": {"type": "array", "items": {"type": "string"}},
                                "expires_at": {"type": ["string", "null"], "format": "date-time"},
                            },
                        },
                    ],
                },
            },
        }
    },
)


def includeme(config: Any) -> None:
    """Routes of the core's API endpoints."""
    config.add_route("api_me", f"{API_PREFIX}/me")
    config.add_route("api_openapi", f"{API_PREFIX}/openapi.json")
