"""``/api/v1/users``: user accounts for administrators and integrations."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config
from sqlalchemy import select
from webob.multidict import MultiDict

from core.api.listing import Filter, ListSpec, list_response
from core.api.openapi import API_PREFIX, list_parameters, page_schema, problem_responses, ref
from core.api.views import PROFILE_PROPERTIES, iso, serialize_profile
from core.api.writes import (
    check_version,
    expected_version,
    read_json,
    set_etag,
    validation_problem,
)
from core.contributions import ApiResource
from core.i18n import LOCALES, _
from core.security.account import ProfileForm
from core.security.models import User
from core.security.scopes import get_in_scope, scope_filter

PERMISSION = "core.users.manage"
#: The fields ``PATCH`` may change (validated by the profile form's rules).
EDITABLE = ("display_name", "language", "timezone")

USER_LIST = ListSpec(
    sorts={"username": User.username, "created_at": User.created_at},
    filters={
        "username": Filter(User.username, str, ("eq", "contains", "in")),
        "email": Filter(User.email, str, ("eq", "contains", "isnull")),
        "is_active": Filter(User.is_active, bool),
        "team_id": Filter(User.team_id, int, ("eq", "in", "isnull")),
    },
    default_sort="username",
)


def serialize_user(user: User) -> dict[str, Any]:
    """A user account as the API shows it (never secrets)."""
    return {
        **serialize_profile(user),
        "team_id": user.team_id,
        "is_active": user.is_active,
        "last_login_at": iso(user.last_login_at),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "version": user.version,
    }


def load_user(request: Any) -> User:
    """The user of the ``{id}`` route within the caller's scope, or 404."""
    return get_in_scope(request, request.record_types["user"], request.matchdict["id"], PERMISSION)


def apply_changes(request: Any, user: User, changes: dict[str, Any]) -> None:
    """Check ``changes`` with the profile form's rules and apply them; 422 when invalid."""
    errors: dict[str, list[Any]] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            errors[name] = [_("This field cannot be changed through the API.")]
        elif not isinstance(value, str):
            errors[name] = [_("Must be text.")]
    if errors:
        raise validation_problem(errors)
    form = ProfileForm(request, MultiDict({name: value.strip() for name, value in changes.items()}))
    for field in list(form):
        if field.name not in changes:
            del form[field.name]
    if not form.validate():
        raise validation_problem(form.errors)
    for field in form:
        setattr(user, field.name, field.data)


@view_config(route_name="api_users", request_method="GET", renderer="json", permission=PERMISSION)
def list_users(request: Any) -> dict[str, Any]:
    """``GET /api/v1/users``: one page of user accounts."""
    scope = scope_filter(request.identity, request.record_types["user"], PERMISSION)
    return list_response(request, select(User).where(scope), USER_LIST, serialize_user)


@view_config(route_name="api_user", request_method="GET", renderer="json", permission=PERMISSION)
def get_user(request: Any) -> dict[str, Any]:
    """``GET /api/v1/users/{id}``: one account, with its version as ETag."""
    user = load_user(request)
    set_etag(request, user)
    return serialize_user(user)


@view_config(route_name="api_user", request_method="PATCH", renderer="json", permission=PERMISSION)
def patch_user(request: Any) -> dict[str, Any]:
    """``PATCH /api/v1/users/{id}``: change display name, language or time zone."""
    user = load_user(request)
    body = read_json(request)
    check_version(user, expected_version(request, body))
    apply_changes(request, user, body)
    request.dbsession.flush()
    set_etag(request, user)
    return serialize_user(user)


_USER_SCHEMA = {
    "type": "object",
    "required": ["id", "username", "display_name", "is_active", "version"],
    "properties": {
        **PROFILE_PROPERTIES,
        "team_id": {"type": ["integer", "null"]},
        "is_active": {"type": "boolean"},
        "last_login_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "version": {"type": "integer"},
    },
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_USER_RESPONSE = {
    "description": "The user; the ETag header carries its version.",
    "headers": {"ETag": {"schema": {"type": "string"}}},
    "content": {"application/json": {"schema": ref("schemas", "User")}},
}

USERS_RESOURCE = ApiResource(
    name="core.users",
    paths={
        "/users": {
            "get": {
                "operationId": "listUsers",
                "summary": "List user accounts (permission core.users.manage)",
                "tags": ["core"],
                "parameters": list_parameters(USER_LIST),
                "responses": {
                    "200": {
                        "description": "One page of users.",
                        "content": {
                            "application/json": {"schema": page_schema(ref("schemas", "User"))}
                        },
                    },
                    **problem_responses(400, 401, 403),
                },
            }
        },
        "/users/{id}": {
            "parameters": [_ID],
            "get": {
                "operationId": "getUser",
                "summary": "One user account",
                "tags": ["core"],
                "responses": {"200": _USER_RESPONSE, **problem_responses(401, 403, 404)},
            },
            "patch": {
                "operationId": "updateUser",
                "summary": "Change a user's display name, language or time zone",
                "tags": ["core"],
                "parameters": [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "description": "The ETag read (or send version in the body).",
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("schemas", "UserPatch")}},
                },
                "responses": {
                    "200": _USER_RESPONSE,
                    **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
                },
            },
        },
    },
    schemas={
        "User": _USER_SCHEMA,
        "UserPatch": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "version": {"type": "integer", "minimum": 1},
                "display_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "language": {"type": "string", "enum": list(LOCALES)},
                "timezone": {"type": "string", "examples": ["Asia/Shanghai"]},
            },
        },
    },
)


def includeme(config: Any) -> None:
    """Routes of the users API (ids are at most 18 digits, so they always fit a bigint)."""
    config.add_route("api_users", f"{API_PREFIX}/users")
    config.add_route("api_user", f"{API_PREFIX}/users/{{id:[0-9]{{1,18}}}}")
