"""REST API: ``/api/v1/customers`` (list, create) and ``/api/v1/customers/{id}``.

Every route works within the caller's data scope (404 outside it); writes go
through the same form and rules as the pages.  A PATCH is allowed when
``edit`` or ``edit_status`` reaches the customer; a body changing a field the
caller may not change answers 403, its ``errors`` naming those fields, and
nothing is saved (see :mod:`plugins.customers.field_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.httpexceptions import HTTPNoContent
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from webob.multidict import MultiDict

from core.api.listing import FilterError, list_response
from core.api.problems import ProblemError
from core.api.writes import (
    check_version,
    expected_version,
    read_json,
    service_problems,
    set_created,
    set_etag,
    validation_problem,
)
from core.customfields.filters import FilterError as CustomFilterError
from core.customfields.filters import custom_filter
from core.customfields.models import localized
from core.customfields.service import validate_values
from core.db import utcnow
from core.events import emit
from core.i18n import user_timezone
from core.security.fields import unmask
from core.security.policy import AUTHENTICATED
from core.security.scopes import RecordContext, record_factory
from plugins.customers import _
from plugins.customers.api_body import checked_fields, is_whole_number
from plugins.customers.dictionaries import default_level, entries
from plugins.customers.duplicates import refuse_duplicates
from plugins.customers.field_rules import (
    CUSTOM,
    LOCKED,
    VIEW_SENSITIVE,
    changes,
    editable_factory,
    kept,
    masked,
    refused_changes,
    save_permission,
    writable,
)
from plugins.customers.forms import COLUMNS, SENSITIVE, CustomerForm, form_data
from plugins.customers.listing import SPEC
from plugins.customers.models import Customer
from plugins.customers.search_index import search_filter, search_parameter
from plugins.customers.service import (
    CREATE,
    DELETE,
    EDIT,
    RECORD_TYPE,
    VIEW,
    live_customers,
    people_in_scope,
    scoped,
    write,
)
from plugins.customers.tag_api import TAGS, body_tags, save_body_tags, tags_refused

#: Where errors that concern the whole record (not one field) are listed.
RECORD_ERRORS = "customer"


def serializer(request: Any) -> Callable[[Customer], dict[str, Any]]:
    """The JSON form of a customer for the caller: ID number and bank account masked."""

    def serialize(customer: Customer) -> dict[str, Any]:
        shown = {name: value or None for name, value in masked(request, customer).items()}
        return {
            "id": customer.id,
            **{name: getattr(customer, name) for name in COLUMNS},
            **shown,
            "team_id": customer.team_id,
            "custom": customer.custom or {},
            TAGS: [tag.name for tag in customer.tags],
            "version": customer.version,
            "created_at": customer.created_at.isoformat(),
            "updated_at": customer.updated_at.isoformat(),
        }

    return serialize


def is_rating(value: Any) -> bool:
    """A whole number or ``null`` (the form checks the range)."""
    return value is None or is_whole_number(value)


#: Fields of a customer's JSON form that are not text.
TYPED_FIELDS = {
    "owner_id": (is_whole_number, _("Give the owner's user id as a number.")),
    "credit_rating": (is_rating, _("Give a whole number from 1 to 5, or null.")),
    "satisfaction": (is_rating, _("Give a whole number from 1 to 5, or null.")),
}


def checked_body(request: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The body's fields, or a 422 naming unknown fields and values of the wrong type."""
    return checked_fields(request, body, COLUMNS, TYPED_FIELDS)


def cleaned(
    request: Any,
    values: dict[str, Any],
    owners: list[Any],
    *,
    partial: bool,
    customer: Customer | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """Column values, clean custom field values, and the (translated) errors by field.

    Columns go through the same form as the pages (which accepts the retired
    dictionary entries ``customer`` has); custom fields through the core's
    validation (``partial`` leaves fields the body does not mention alone).
    """
    custom = values.pop(CUSTOM, None) or {}
    formdata = MultiDict(
        (name, "" if value is None else str(value)) for name, value in values.items()
    )
    form = CustomerForm(request, formdata, obj=customer, owners=owners)
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
    translated = {
        name: [request.translate(m) for m in messages] for name, messages in errors.items()
    }
    return form.values(), clean, translated


def validated(
    request: Any, values: dict[str, Any], owners: list[Any], *, partial: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Clean column values and custom field values (see :func:`cleaned`), or a 422."""
    columns, custom, errors = cleaned(request, values, owners, partial=partial)
    if errors:
        raise validation_problem(errors)
    return columns, custom


def refused_problem(names: list[str]) -> ProblemError:
    """The 403 problem of a body changing fields the caller may not change."""
    return ProblemError(
        403,
        _("Some fields may not be changed"),
        _("You may not change the fields listed in errors. Nothing was saved."),
        errors={name: [LOCKED] for name in names},
    )


def saved(
    request: Any,
    customer: Customer,
    values: tuple[dict[str, Any], dict[str, Any]],
    permission: str,
) -> None:
    """Write through the shared rules; a refusal becomes a 409 or 422 problem."""
    columns, custom = values
    with service_problems(request, customer, RECORD_ERRORS):
        write(request, customer, columns, permission, custom)


@view_config(route_name="api_customers", request_method="GET", renderer="json", permission=VIEW)
def list_customers(request: Any) -> dict[str, Any]:
    """One page of the customers in the caller's scope."""
    query = select(Customer).where(scoped(request, VIEW), live_customers())
    query = query.options(selectinload(Customer.tags))
    extra = {
        "cf_": custom_filters(request),
        "q": search_parameter(request.dbsession, search_filter),
    }
    return list_response(request, query, SPEC, serializer(request), extra)


def custom_filters(request: Any) -> Any:
    """``cf_<key>[__op]=value`` filters on the customer's custom fields."""
    definitions = {d.key: d for d in request.custom_fields(RECORD_TYPE)}
    tz = user_timezone(request)

    def build(key: str, op: str, raw: str) -> Any:
        definition = definitions.get(key)
        if definition is None:
            raise FilterError(_("There is no custom field called ${key}.", mapping={"key": key}))
        try:
            return custom_filter(Customer, definition, op, raw, tz=tz)
        except CustomFilterError as exc:
            raise FilterError(exc.message) from None

    return build


@view_config(route_name="api_customers", request_method="POST", renderer="json", permission=CREATE)
def create_customer(request: Any) -> dict[str, Any]:
    """Create a customer; the owner defaults to the caller."""
    body = read_json(request)
    tags = body_tags(request, body)
    body = checked_body(request, body)
    values = {"kind": "company", "level": default_level(request), "status": "potential"}
    values.update(body)
    values.setdefault("owner_id", request.identity.user_id)
    owners = people_in_scope(request.dbsession, request.identity, CREATE)
    customer = Customer(custom={})
    clean = validated(request, values, owners, partial=False)
    refuse_duplicates(request, clean[0])
    saved(request, customer, clean, CREATE)
    if tags_refused(request, customer, tags):
        raise refused_problem([TAGS])
    save_body_tags(request, customer, tags)
    emit(request, "customer.created", id=customer.id, code=customer.code)
    set_created(request, "api_customer", customer)
    return serializer(request)(customer)


@view_config(route_name="api_customer", request_method="GET", renderer="json", permission=VIEW)
def get_customer(context: RecordContext, request: Any) -> dict[str, Any]:
    """One customer in the caller's scope (with its version as ETag)."""
    set_etag(request, context.record)
    return serializer(request)(context.record)


@view_config(route_name="api_customer_edit", renderer="json", permission=AUTHENTICATED)
def update_customer(context: RecordContext, request: Any) -> dict[str, Any]:
    """Change the given fields; the version must be the one last read (else 409).

    Changing a field the caller may not change answers 403 before any 422.
    """
    customer = context.record
    fields = writable(request, customer)
    body = read_json(request)
    expected = expected_version(request, body)
    tags = body_tags(request, body)
    sent = unmasked(request, customer, checked_body(request, body))
    check_version(customer, expected)
    owners = people_in_scope(request.dbsession, request.identity, EDIT)
    if customer.owner not in owners:
        owners.append(customer.owner)
    columns, custom, errors = cleaned(
        request, {**form_data(customer), **sent}, owners, partial=True, customer=customer
    )
    sent_custom = sent.get(CUSTOM) or {}
    refused = refused_changes(
        changes(
            customer,
            {name: columns[name] for name in sent if name in COLUMNS},
            {key: custom.get(key, value) for key, value in sent_custom.items()},
        ),
        fields,
    ) + tags_refused(request, customer, tags)
    if refused:
        raise refused_problem(refused)
    if errors:
        raise validation_problem(errors)
    custom = custom if CUSTOM in fields else {}
    columns = kept(customer, columns, fields)
    refuse_duplicates(request, columns, customer)
    saved(request, customer, (columns, custom), save_permission(fields))
    save_body_tags(request, customer, tags)
    set_etag(request, customer)
    return serializer(request)(customer)


def unmasked(request: Any, customer: Customer, sent: dict[str, Any]) -> dict[str, Any]:
    """``sent`` without the sensitive fields that only echo the masked value read."""
    shown = masked(request, customer)
    return {
        name: value
        for name, value in sent.items()
        if not (name in shown and shown[name] and value == shown[name])
    }


@view_config(
    route_name="api_customer_reveal",
    request_method="POST",
    renderer="json",
    permission=VIEW_SENSITIVE,
)
def reveal_field(context: RecordContext, request: Any) -> dict[str, Any]:
    """The clear ID number or bank account of a customer; every reveal is audited."""
    body = read_json(request)
    field = body.get("field")
    if set(body) != {"field"} or field not in SENSITIVE:
        raise validation_problem(
            {"field": [request.translate(_("Give field as id_number or bank_account."))]}
        )
    value = unmask(request, context.record_type, context.record, field)
    return {"field": field, "value": value or None}


@view_config(
    route_name="api_customer_dictionaries", request_method="GET", renderer="json", permission=VIEW
)
def list_dictionaries(request: Any) -> dict[str, Any]:
    """Every entry of the customer lists (levels, industries, sizes, sources)."""
    return {
        "items": [
            {
                "kind": entry.kind,
                "code": entry.code,
                "label": localized(entry.labels, request.locale_name) or entry.code,
                "labels": entry.labels,
                "active": entry.active,
            }
            for entry in entries(request.dbsession)
        ]
    }


@view_config(route_name="api_customer_delete", permission=DELETE)
def delete_customer(context: RecordContext, request: Any) -> HTTPNoContent:
    """Soft-delete a customer (an administrator or manager can restore it from the list)."""
    context.record.deleted_at = utcnow()
    return HTTPNoContent()


def includeme(config: Any) -> None:
    """The API routes; each method's route loads the record within that method's scope."""
    one = r"/api/v1/customers/{id:\d+}"
    config.add_route("api_customers", "/api/v1/customers")
    config.add_route(
        "api_customer_edit",
        one,
        request_method="PATCH",
        factory=editable_factory,
    )
    config.add_route(
        "api_customer_delete",
        one,
        request_method="DELETE",
        factory=record_factory(RECORD_TYPE, "delete"),
    )
    config.add_route("api_customer", one, factory=record_factory(RECORD_TYPE, "view"))
    config.add_route(
        "api_customer_reveal", one + "/reveal", factory=record_factory(RECORD_TYPE, "view")
    )
    config.add_route("api_customer_dictionaries", "/api/v1/customer-dictionaries")
    config.scan("plugins.customers.api")
