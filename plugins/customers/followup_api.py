"""REST API: ``/api/v1/follow-ups`` (list, log) and ``/api/v1/follow-ups/{id}``.

Follow-ups are reached through their customer's scope (404 outside it) with the
``customers.follow_up.*`` permissions.  Writes go through the same form and rules
as the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyramid.httpexceptions import HTTPNoContent, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select
from webob.multidict import MultiDict

from core.api.listing import Filter, ListSpec, list_response
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
from core.security.scopes import RecordContext
from core.security.service_errors import Refused
from plugins.customers import _
from plugins.customers.api_body import checked_fields, is_whole_number
from plugins.customers.contacts import contacts_of
from plugins.customers.followup_forms import FollowUpForm
from plugins.customers.followup_models import FollowUp
from plugins.customers.followups import (
    CREATE,
    DELETE,
    EDIT,
    VIEW,
    delete_followup,
    edit_followup,
    find_customer,
    followup_factory,
    followup_scope,
    live_followups,
    log_followup,
)
from plugins.customers.models import Customer

#: Where errors that concern the whole record (not one field) are listed.
RECORD_ERRORS = "follow_up"
WRITABLE = ("customer_id", "method", "contact_id", "subject", "content", "result")
CREATE_FIELDS = (*WRITABLE, "happened_at", "next_at")
TYPED_FIELDS = {
    "customer_id": (is_whole_number, _("Give this field as a whole number.")),
    "contact_id": (
        lambda value: value is None or is_whole_number(value),
        _("Give this field as a whole number or null."),
    ),
}
SPEC = ListSpec(
    sorts={"happened_at": FollowUp.happened_at, "due_at": FollowUp.due_at},
    filters={
        "customer_id": Filter(FollowUp.customer_id, int, ("eq", "in")),
        "user_id": Filter(FollowUp.user_id, int, ("eq", "in")),
        "state": Filter(FollowUp.state, str, ("eq", "in")),
        "method": Filter(FollowUp.method, str, ("eq", "in")),
        "due_at": Filter(FollowUp.due_at, dt.datetime, ("gte", "lt")),
        "happened_at": Filter(FollowUp.happened_at, dt.datetime, ("gte", "lt")),
    },
    default_sort="-id",
)


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def serialize(followup: FollowUp) -> dict[str, Any]:
    """The JSON form of a follow-up."""
    return {
        "id": followup.id,
        "customer_id": followup.customer_id,
        "contact_id": followup.contact_id,
        "user_id": followup.user_id,
        "plan_id": followup.plan_id,
        "state": followup.state,
        "method": followup.method,
        "subject": followup.subject,
        "content": followup.content,
        "result": followup.result,
        "happened_at": _time(followup.happened_at),
        "due_at": _time(followup.due_at),
        "next_at": _time(followup.next_at),
        "reminded_at": _time(followup.reminded_at),
        "attachments": [
            {
                "id": attachment.id,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            }
            for attachment in followup.attachments
            if attachment.deleted_at is None
        ],
        "version": followup.version,
        "created_at": followup.created_at.isoformat(),
        "updated_at": followup.updated_at.isoformat(),
    }


def form_text(value: Any) -> str:
    """A JSON or stored value as the text a browser would post."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def validated(
    request: Any, customer: Customer, values: dict[str, Any], followup: FollowUp | None = None
) -> dict[str, Any]:
    """Clean column values through the pages' form (editing ``followup``), or a 422."""
    formdata = MultiDict((name, form_text(value)) for name, value in values.items())
    form = FollowUpForm(
        request,
        formdata,
        contacts=contacts_of(request.dbsession, customer),
        planned=followup is not None and followup.state == "planned",
        editing=followup is not None,
    )
    if not form.validate():
        raise validation_problem(
            {
                name: [request.translate(message) for message in messages]
                for name, messages in form.errors.items()
            }
        )
    return form.values()


@view_config(route_name="api_followups", request_method="GET", renderer="json", permission=VIEW)
def list_followups(request: Any) -> dict[str, Any]:
    """The live follow-ups whose customer is in the caller's scope."""
    query = select(FollowUp).where(live_followups(), followup_scope(request, VIEW))
    return list_response(request, query, SPEC, serialize)


@view_config(
    route_name="api_followups_new", request_method="POST", renderer="json", permission=CREATE
)
def create_followup(request: Any) -> dict[str, Any]:
    """Log a done follow-up with a customer in the caller's scope (``next_at`` plans one)."""
    body = checked_fields(request, read_json(request), CREATE_FIELDS, TYPED_FIELDS)
    if "customer_id" not in body:
        raise validation_problem(
            {"customer_id": [request.translate(_("Choose the customer of the follow-up."))]}
        )
    customer = find_customer(request, body.pop("customer_id"), CREATE)
    if customer is None:
        raise HTTPNotFound()
    values = validated(request, customer, body)
    try:
        followup = log_followup(request.dbsession, customer.id, request.identity.user_id, values)
    except Refused as refused:
        raise refusal_problem(request, refused, RECORD_ERRORS) from None
    set_created(request, "api_followup", followup)
    return serialize(followup)


@view_config(route_name="api_followup", request_method="GET", renderer="json", permission=VIEW)
def get_followup(context: RecordContext, request: Any) -> dict[str, Any]:
    """One follow-up whose customer is in the caller's scope (with its version as ETag)."""
    set_etag(request, context.record)
    return serialize(context.record)


def current_values(followup: FollowUp) -> dict[str, Any]:
    """The follow-up's editable values keyed like the form's fields."""
    names = ("method", "contact_id", "subject", "content", "result")
    values = {name: getattr(followup, name) for name in names}
    values["due_at" if followup.state == "planned" else "happened_at"] = (
        followup.due_at if followup.state == "planned" else followup.happened_at
    )
    return values


@view_config(route_name="api_followup_edit", renderer="json", permission=EDIT)
def update_followup(context: RecordContext, request: Any) -> dict[str, Any]:
    """Change the given fields; the version must be the one last read (else 409)."""
    followup = context.record
    body = read_json(request)
    expected = expected_version(request, body)
    allowed = (*WRITABLE[1:], "due_at" if followup.state == "planned" else "happened_at")
    sent = checked_fields(request, body, allowed, TYPED_FIELDS)
    check_version(followup, expected)
    values = validated(request, followup.customer, {**current_values(followup), **sent}, followup)
    with service_problems(request, followup, RECORD_ERRORS):
        edit_followup(request.dbsession, followup, values)
    set_etag(request, followup)
    return serialize(followup)


@view_config(route_name="api_followup_delete", permission=DELETE)
def remove_followup(context: RecordContext, request: Any) -> HTTPNoContent:
    """Delete a follow-up (soft)."""
    with service_problems(request, context.record, RECORD_ERRORS):
        delete_followup(request.dbsession, context.record)
    return HTTPNoContent()


def includeme(config: Any) -> None:
    """The API routes; each loads the follow-up within the method's customer scope."""
    many = "/api/v1/follow-ups"
    one = r"/api/v1/follow-ups/{id:\d+}"
    config.add_route("api_followups_new", many, request_method="POST")
    config.add_route("api_followups", many)
    config.add_route(
        "api_followup_edit", one, request_method="PATCH", factory=followup_factory("edit")
    )
    config.add_route(
        "api_followup_delete", one, request_method="DELETE", factory=followup_factory("delete")
    )
    config.add_route("api_followup", one, factory=followup_factory("view"))
    config.scan("plugins.customers.followup_api")
