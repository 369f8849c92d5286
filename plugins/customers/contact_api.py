"""REST API: ``/api/v1/customers/{id}/contacts`` (list, create) and ``/api/v1/contacts/{id}``.

Contacts are reached through their customer's scope (404 outside it): reading
with ``customers.customer.view``, writing with ``customers.customer.edit``.
Writes go through the same form and rules as the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyramid.httpexceptions import HTTPNoContent
from pyramid.view import view_config
from sqlalchemy import select
from webob.multidict import MultiDict

from core.api.listing import Filter, ListSpec, list_response
from core.api.writes import (
    check_version,
    expected_version,
    read_json,
    service_problems,
    set_created,
    set_etag,
    validation_problem,
)
from core.customfields.service import validate_values
from core.i18n import user_timezone
from core.security.scopes import RecordContext
from plugins.customers import _
from plugins.customers.api_body import CUSTOM, checked_fields
from plugins.customers.contact_forms import CONTACT_COLUMNS, ContactForm, contact_data
from plugins.customers.contacts import (
    CONTACT_CREATE,
    CONTACT_DELETE,
    CONTACT_EDIT,
    CONTACT_VIEW,
    RECORD_TYPE,
    contact_factory,
    contact_scope,
    contacts_of,
    customer_factory,
    delete_contact,
    live_contacts,
    write_contact,
)
from plugins.customers.models import Contact
from plugins.customers.search_index import contact_search_filter, search_parameter

#: ``GET /api/v1/contacts``: sorts and filters (plus ``q``, the search).
CONTACT_SPEC = ListSpec(
    sorts={"name": Contact.name, "created_at": Contact.created_at},
    filters={
        "customer_id": Filter(Contact.customer_id, int, ("eq", "in")),
        "is_primary": Filter(Contact.is_primary, bool),
    },
)

#: Where errors that concern the whole record (not one field) are listed.
RECORD_ERRORS = "contact"


def serialize(contact: Contact) -> dict[str, Any]:
    """The JSON form of a contact."""
    values = contact_data(contact)
    values["birthday"] = contact.birthday.isoformat() if contact.birthday else None
    return {
        "id": contact.id,
        "customer_id": contact.customer_id,
        **values,
        "custom": contact.custom or {},
        "version": contact.version,
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }


#: Fields of a contact's JSON form that are not text.
TYPED_FIELDS = {
    "is_primary": (lambda value: isinstance(value, bool), _("Give this field as true or false."))
}


def checked_body(request: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The body's fields, or a 422 naming unknown fields and values of the wrong type."""
    return checked_fields(request, body, CONTACT_COLUMNS, TYPED_FIELDS)


def form_text(value: Any) -> str:
    """A JSON or stored value as the text a browser would post."""
    if value is None or value is False:
        return ""
    if value is True:
        return "y"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def validated(
    request: Any, values: dict[str, Any], *, partial: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Clean column values (through the pages' form) and custom field values, or a 422."""
    custom = values.pop(CUSTOM, None) or {}
    formdata = MultiDict((name, form_text(value)) for name, value in values.items())
    form = ContactForm(request, formdata)
    valid = form.validate()
    clean, custom_errors = validate_values(
        request.dbsession,
        request.custom_fields(RECORD_TYPE),
        custom,
        partial=partial,
        tz=user_timezone(request),
    )
    errors = {name: list(messages) for name, messages in form.errors.items()} if not valid else {}
    errors.update({f"{CUSTOM}.{key}": messages for key, messages in custom_errors.items()})
    if errors:
        raise validation_problem(
            {name: [request.translate(m) for m in messages] for name, messages in errors.items()}
        )
    return form.values(), clean


def saved(request: Any, contact: Contact, values: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Write through the shared rules; a refusal becomes a 409 or 422 problem."""
    columns, custom = values
    with service_problems(request, contact, RECORD_ERRORS):
        write_contact(request.dbsession, contact, columns, custom)


@view_config(
    route_name="api_contacts", request_method="GET", renderer="json", permission=CONTACT_VIEW
)
def all_contacts(request: Any) -> dict[str, Any]:
    """One page of the live contacts in the caller's scope; ``q`` searches them."""
    query = select(Contact).where(live_contacts(), contact_scope(request, CONTACT_VIEW))
    search = search_parameter(request.dbsession, contact_search_filter)
    return list_response(request, query, CONTACT_SPEC, serialize, {"q": search})


@view_config(
    route_name="api_customer_contacts",
    request_method="GET",
    renderer="json",
    permission=CONTACT_VIEW,
)
def list_contacts(context: RecordContext, request: Any) -> dict[str, Any]:
    """The live contacts of a customer in the caller's scope, the primary first."""
    return {"items": [serialize(c) for c in contacts_of(request.dbsession, context.record)]}


@view_config(
    route_name="api_customer_contacts_new",
    request_method="POST",
    renderer="json",
    permission=CONTACT_CREATE,
)
def create_contact(context: RecordContext, request: Any) -> dict[str, Any]:
    """Add a contact to a customer the caller may edit (the first one becomes primary)."""
    body = checked_body(request, read_json(request))
    contact = Contact(customer_id=context.record.id, custom={})
    saved(request, contact, validated(request, dict(body), partial=False))
    set_created(request, "api_contact", contact)
    return serialize(contact)


@view_config(
    route_name="api_contact", request_method="GET", renderer="json", permission=CONTACT_VIEW
)
def get_contact(context: RecordContext, request: Any) -> dict[str, Any]:
    """One contact whose customer is in the caller's scope (with its version as ETag)."""
    set_etag(request, context.record)
    return serialize(context.record)


@view_config(route_name="api_contact_edit", renderer="json", permission=CONTACT_EDIT)
def update_contact(context: RecordContext, request: Any) -> dict[str, Any]:
    """Change the given fields; the version must be the one last read (else 409)."""
    contact = context.record
    body = read_json(request)
    expected = expected_version(request, body)
    sent = checked_body(request, body)
    check_version(contact, expected)
    saved(request, contact, validated(request, {**contact_data(contact), **sent}, partial=True))
    set_etag(request, contact)
    return serialize(contact)


@view_config(route_name="api_contact_delete", permission=CONTACT_DELETE)
def remove_contact(context: RecordContext, request: Any) -> HTTPNoContent:
    """Delete a contact; when it was primary, the next oldest becomes primary."""
    with service_problems(request, context.record, RECORD_ERRORS):
        delete_contact(request.dbsession, context.record)
    return HTTPNoContent()


def includeme(config: Any) -> None:
    """The API routes; each loads the contact (or customer) within the method's scope."""
    many = r"/api/v1/customers/{id:\d+}/contacts"
    one = r"/api/v1/contacts/{id:\d+}"
    config.add_route(
        "api_customer_contacts_new",
        many,
        request_method="POST",
        factory=customer_factory("create"),
    )
    config.add_route("api_customer_contacts", many, factory=customer_factory("view"))
    config.add_route(
        "api_contact_edit", one, request_method="PATCH", factory=contact_factory("edit")
    )
    config.add_route(
        "api_contact_delete", one, request_method="DELETE", factory=contact_factory("delete")
    )
    config.add_route("api_contact", one, factory=contact_factory("view"))
    config.add_route("api_contacts", "/api/v1/contacts")
    config.scan("plugins.customers.contact_api")
