"""REST API: ``/api/v1/tags`` and ``/api/v1/tags/{id}``, and the ``tags`` of a customer's body.

Reading tags needs ``customers.customer.view``; creating, changing and deleting
them ``customers.tag.manage``.  Tags have no data scope.  A customer's JSON form
lists its tag names; creating or changing a customer may give ``tags`` (names of
existing tags), which needs ``customers.customer.edit`` on that customer.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNoContent
from pyramid.view import view_config
from sqlalchemy import select

from core.api.listing import list_response
from core.api.writes import (
    check_version,
    expected_version,
    read_json,
    refusal_problem,
    service_problems,
    set_created,
    set_etag,
    validation_problem,
)
from core.security.service_errors import Refused
from plugins.customers import _
from plugins.customers.api_body import checked_fields
from plugins.customers.models import Customer, Tag
from plugins.customers.service import EDIT, VIEW
from plugins.customers.tag_views import NO_SUCH_TAG, TagContext, tag_factory
from plugins.customers.tags import (
    DEFAULT_COLOR,
    MANAGE,
    TAG_SPEC,
    create_tag,
    delete_tag,
    find_tag,
    set_tags,
    update_tag,
)
from plugins.customers.views import may

#: Where errors that concern the whole tag (not one field) are listed.
RECORD_ERRORS = "tag"
#: The writable fields of a tag's JSON form.
FIELDS = ("name", "color")
#: The key of a customer's tag names in its JSON form.
TAGS = "tags"


def serialize(tag: Tag) -> dict[str, Any]:
    """The JSON form of a tag."""
    return {
        "id": tag.id,
        "name": tag.name,
        "color": tag.color,
        "group": tag.group,
        "is_system": tag.is_system,
        "version": tag.version,
        "created_at": tag.created_at.isoformat(),
        "updated_at": tag.updated_at.isoformat(),
    }


@view_config(route_name="api_tags", request_method="GET", renderer="json", permission=VIEW)
def list_tags(request: Any) -> dict[str, Any]:
    """One page of the tags (by name unless sorted otherwise)."""
    return list_response(request, select(Tag), TAG_SPEC, serialize)


@view_config(route_name="api_tags", request_method="POST", renderer="json", permission=MANAGE)
def create(request: Any) -> dict[str, Any]:
    """Create a custom tag."""
    body = checked_fields(request, read_json(request), FIELDS)
    try:
        tag = create_tag(
            request.dbsession, body.get("name") or "", body.get("color") or DEFAULT_COLOR
        )
    except Refused as refused:
        raise refusal_problem(request, refused, RECORD_ERRORS) from None
    set_created(request, "api_tag", tag)
    return serialize(tag)


@view_config(route_name="api_tag", request_method="GET", renderer="json", permission=VIEW)
def get_tag(context: TagContext, request: Any) -> dict[str, Any]:
    """One tag (with its version as ETag)."""
    set_etag(request, context.tag)
    return serialize(context.tag)


@view_config(route_name="api_tag_edit", renderer="json", permission=MANAGE)
def update(context: TagContext, request: Any) -> dict[str, Any]:
    """Rename or recolour a tag; the version must be the one last read (else 409)."""
    tag = context.tag
    body = read_json(request)
    expected = expected_version(request, body)
    sent = checked_fields(request, body, FIELDS)
    check_version(tag, expected)
    with service_problems(request, tag, RECORD_ERRORS):
        update_tag(
            request.dbsession, tag, sent.get("name") or tag.name, sent.get("color") or tag.color
        )
    set_etag(request, tag)
    return serialize(tag)


@view_config(route_name="api_tag_delete", permission=MANAGE)
def remove(context: TagContext, request: Any) -> HTTPNoContent:
    """Delete a custom tag (it is taken off every customer); system tags are refused (422)."""
    with service_problems(request, context.tag, RECORD_ERRORS):
        delete_tag(request.dbsession, context.tag)
    return HTTPNoContent()


# -- tags in a customer's body ------------------------------------------------------


def body_tags(request: Any, body: dict[str, Any]) -> list[Tag] | None:
    """Take ``tags`` out of a customer's body: the tags it names, or ``None`` when absent.

    Not a list of text, or naming a tag that does not exist: a 422 problem.
    """
    if TAGS not in body:
        return None
    names = body.pop(TAGS)
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise validation_problem(
            {TAGS: [request.translate(_("Give tags as a list of tag names."))]}
        )
    tags, errors = [], []
    for name in names:
        tag = find_tag(request.dbsession, name)
        if tag is None:
            errors.append(request.translate(NO_SUCH_TAG, name=name))
        elif tag not in tags:
            tags.append(tag)
    if errors:
        raise validation_problem({TAGS: errors})
    return tags


def tags_refused(request: Any, customer: Customer, tags: list[Tag] | None) -> list[str]:
    """``["tags"]`` when the body changes the tags of a customer the caller may not edit."""
    if tags is None or {tag.id for tag in tags} == {tag.id for tag in customer.tags}:
        return []
    return [] if may(request, customer, EDIT) else [TAGS]


def save_body_tags(request: Any, customer: Customer, tags: list[Tag] | None) -> None:
    """Give the customer the body's tags (nothing to do when the body had none)."""
    if tags is not None:
        set_tags(request.dbsession, customer, [tag.id for tag in tags])


def includeme(config: Any) -> None:
    """The API routes; a tag route answers 404 for an unknown tag."""
    one = r"/api/v1/tags/{id:\d+}"
    config.add_route("api_tags", "/api/v1/tags")
    config.add_route("api_tag_edit", one, request_method="PATCH", factory=tag_factory)
    config.add_route("api_tag_delete", one, request_method="DELETE", factory=tag_factory)
    config.add_route("api_tag", one, factory=tag_factory)
    config.scan("plugins.customers.tag_api")
