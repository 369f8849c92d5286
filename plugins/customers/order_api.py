"""REST API: ``/api/v1/orders`` and ``/api/v1/contracts`` (list, create, read, update, delete).

Orders and contracts are reached through their customer's scope (404 outside it)
with ``customers.order.<action>``; writes go through the same forms and rules as
the pages.  Amounts and quantities are sent and answered as decimal strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pyramid.httpexceptions import HTTPNoContent, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload
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
from core.security.scopes import RecordContext
from plugins.customers import _
from plugins.customers.api_body import CUSTOM, checked_fields, is_whole_number
from plugins.customers.contact_api import form_text
from plugins.customers.contracts import CONTRACT, write_contract
from plugins.customers.models import Customer
from plugins.customers.order_forms import (
    CONTRACT_COLUMNS,
    LINE_FIELDS,
    ORDER_COLUMNS,
    ContractForm,
    OrderForm,
    contract_data,
    order_data,
    plain,
)
from plugins.customers.order_models import Contract, Order
from plugins.customers.orders import (
    ORDER,
    ORDER_CREATE,
    ORDER_DELETE,
    ORDER_EDIT,
    ORDER_VIEW,
    reachable,
    reachable_customer,
    record_factory,
    soft_delete,
    write_order,
)

DATES = ("eq", "gte", "lte", "gt", "lt")
ORDER_SPEC = ListSpec(
    sorts={
        "ordered_on": Order.ordered_on,
        "number": Order.number,
        "amount": Order.amount,
        "created_at": Order.created_at,
        "updated_at": Order.updated_at,
    },
    filters={
        "customer_id": Filter(Order.customer_id, int, ("eq", "in")),
        "state": Filter(Order.state, str, ("eq", "in")),
        "currency": Filter(Order.currency, str, ("eq", "in")),
        "number": Filter(Order.number),
        "ordered_on": Filter(Order.ordered_on, dt.date, DATES),
    },
    default_sort="-ordered_on",
)
CONTRACT_SPEC = ListSpec(
    sorts={
        "signed_on": Contract.signed_on,
        "ends_on": Contract.ends_on,
        "number": Contract.number,
        "amount": Contract.amount,
        "created_at": Contract.created_at,
        "updated_at": Contract.updated_at,
    },
    filters={
        "customer_id": Filter(Contract.customer_id, int, ("eq", "in")),
        "state": Filter(Contract.state, str, ("eq", "in")),
        "currency": Filter(Contract.currency, str, ("eq", "in")),
        "number": Filter(Contract.number),
        "signed_on": Filter(Contract.signed_on, dt.date, (*DATES, "isnull")),
        "ends_on": Filter(Contract.ends_on, dt.date, (*DATES, "isnull")),
    },
    default_sort="-id",
)
NO_CUSTOMER = _("Give the customer's id.")
STAYS = _("An order or contract cannot be moved to another customer.")
AS_NUMBER = _("Give this field as a number or a decimal string.")


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def money(value: Decimal) -> str:
    """An amount as a decimal string with two places (``"59.98"``)."""
    return f"{value:.2f}"


def stamps(record: Order | Contract) -> dict[str, Any]:
    """The version and timestamps every record's JSON form ends with."""
    return {
        "version": record.version,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def serialize_order(order: Order) -> dict[str, Any]:
    """The JSON form of an order with its lines."""
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "number": order.number,
        "ordered_on": day(order.ordered_on),
        "amount": money(order.amount),
        "currency": order.currency,
        "state": order.state,
        "notes": order.notes,
        "lines": [
            {
                "product_code": line.product_code,
                "product_name": line.product_name,
                "quantity": plain(line.quantity),
                "unit_price": money(line.unit_price),
            }
            for line in order.lines
        ],
        **stamps(order),
    }


def serialize_contract(contract: Contract) -> dict[str, Any]:
    """The JSON form of a contract with the ids of the live orders it covers."""
    return {
        "id": contract.id,
        "customer_id": contract.customer_id,
        "number": contract.number,
        "title": contract.title,
        "signed_on": day(contract.signed_on),
        "starts_on": day(contract.starts_on),
        "ends_on": day(contract.ends_on),
        "amount": money(contract.amount),
        "currency": contract.currency,
        "state": contract.state,
        "notes": contract.notes,
        "order_ids": [order.id for order in contract.orders if order.deleted_at is None],
        **stamps(contract),
    }


# -- request bodies ---------------------------------------------------------------------


def is_amount(value: Any) -> bool:
    """A JSON number (not true/false) or a string; the form checks its digits."""
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(is_whole_number(item) for item in value)


def checked_body(
    request: Any, body: dict[str, Any], columns: tuple[str, ...], typed: dict[str, Any]
) -> dict[str, Any]:
    """The body's fields, or a 422 naming unknown fields and values of the wrong type."""
    if CUSTOM in body:
        raise validation_problem({CUSTOM: [request.translate(_("There is no such field."))]})
    return checked_fields(
        request,
        body,
        ("customer_id", *columns),
        {"customer_id": (is_whole_number, NO_CUSTOMER), **typed},
    )


def checked_lines(request: Any, lines: Any) -> None:
    """A 422 naming each line that is not an object of known, well-typed fields."""
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            errors[f"lines[{index}]"] = [request.translate(_("Give each line as an object."))]
            continue
        for name, value in line.items():
            if name not in LINE_FIELDS:
                message = _("There is no such field.")
            elif name in ("quantity", "unit_price"):
                message = None if is_amount(value) else AS_NUMBER
            elif value is not None and not isinstance(value, str):
                message = _("Give this field as text.")
            else:
                message = None
            if message is not None:
                errors[f"lines[{index}].{name}"] = [request.translate(message)]
    if errors:
        raise validation_problem(errors)


def order_body(request: Any, body: dict[str, Any]) -> dict[str, Any]:
    """An order body's fields, checked for shape (422 otherwise)."""
    typed = {"lines": (lambda value: isinstance(value, list), _("Give the lines as a list."))}
    body = checked_body(request, body, (*ORDER_COLUMNS, "lines"), typed)
    checked_lines(request, body.get("lines") or [])
    return body


def contract_body(request: Any, body: dict[str, Any]) -> dict[str, Any]:
    """A contract body's fields, checked for shape (422 otherwise)."""
    typed = {
        "amount": (lambda value: value is None or is_amount(value), AS_NUMBER),
        "order_ids": (is_id_list, _("Give the order ids as a list of numbers.")),
    }
    return checked_body(request, body, (*CONTRACT_COLUMNS, "order_ids"), typed)


def form_errors(request: Any, form: Any, line_entries: Any = ()) -> dict[str, list[str]]:
    """The form's (translated) errors keyed like the JSON body (``lines[2].quantity``)."""
    errors: dict[str, list[Any]] = {
        name: list(messages)
        for name, messages in form.errors.items()
        if name != "lines" and isinstance(messages, list)
    }
    for entry in line_entries:
        index = entry.name.rsplit("-", 1)[1]
        for name, messages in entry.form.errors.items():
            errors[f"lines[{index}].{name}"] = list(messages)
    if form.form_errors:
        errors["lines"] = list(form.form_errors)
    return {name: [request.translate(m) for m in messages] for name, messages in errors.items()}


def validated_order(request: Any, values: dict[str, Any]) -> OrderForm:
    """The order form filled from JSON values and validated, or a 422."""
    pairs = [(name, form_text(values.get(name))) for name in ORDER_COLUMNS if name in values]
    for index, line in enumerate(values.get("lines") or []):
        pairs += [(f"lines-{index}-{name}", form_text(line.get(name))) for name in LINE_FIELDS]
    form = OrderForm(request, MultiDict(pairs))
    if not form.validate():
        raise validation_problem(form_errors(request, form, form.lines.entries))
    return form


def validated_contract(request: Any, values: dict[str, Any]) -> ContractForm:
    """The contract form filled from JSON values and validated, or a 422."""
    pairs = [(name, form_text(values.get(name))) for name in CONTRACT_COLUMNS if name in values]
    pairs += [("order_ids", str(order_id)) for order_id in values.get("order_ids") or []]
    form = ContractForm(request, MultiDict(pairs))
    if not form.validate():
        raise validation_problem(form_errors(request, form))
    return form


def body_customer(request: Any, body: dict[str, Any]) -> Customer:
    """The customer a new record is for: 422 when missing, 404 when out of reach."""
    if body.get("customer_id") is None:
        raise validation_problem({"customer_id": [request.translate(NO_CUSTOMER)]})
    customer = reachable_customer(request, body["customer_id"], ORDER_CREATE)
    if customer is None:
        raise HTTPNotFound()
    return customer


def same_customer(request: Any, record: Order | Contract, body: dict[str, Any]) -> None:
    """A 422 when a PATCH tries to move the record to another customer."""
    if body.get("customer_id", record.customer_id) != record.customer_id:
        raise validation_problem({"customer_id": [request.translate(STAYS)]})


def saved(request: Any, record: Any, record_type: str, write: Callable[[], None]) -> None:
    """Run ``write``; a stale version becomes a 409, a refusal a 422 problem."""
    with service_problems(request, record, record_type):
        write()


def removed(request: Any, record: Any) -> HTTPNoContent:
    """Soft-delete ``record``: 204, or 409 when it changed meanwhile."""
    with service_problems(request, record, "record"):
        soft_delete(request.dbsession, record)
    return HTTPNoContent()


# -- orders -----------------------------------------------------------------------------


@view_config(route_name="api_orders", request_method="GET", renderer="json", permission=ORDER_VIEW)
def list_orders(request: Any) -> dict[str, Any]:
    """One page of the orders whose customers are in the caller's scope."""
    query = select(Order).where(reachable(request, Order, ORDER_VIEW))
    query = query.options(selectinload(Order.lines))
    return list_response(request, query, ORDER_SPEC, serialize_order)


@view_config(
    route_name="api_orders", request_method="POST", renderer="json", permission=ORDER_CREATE
)
def create_order(request: Any) -> dict[str, Any]:
    """Record an order with its lines; a missing number is filled automatically."""
    body = order_body(request, read_json(request))
    customer = body_customer(request, body)
    form = validated_order(request, body)
    order = Order(customer_id=customer.id, custom={})
    saved(
        request,
        order,
        ORDER,
        lambda: write_order(request, order, form.values(), form.line_values()),
    )
    set_created(request, "api_order", order)
    return serialize_order(order)


@view_config(route_name="api_order", request_method="GET", renderer="json", permission=ORDER_VIEW)
def get_order(context: RecordContext, request: Any) -> dict[str, Any]:
    """One order (with its version as ETag)."""
    set_etag(request, context.record)
    return serialize_order(context.record)


@view_config(route_name="api_order_edit", renderer="json", permission=ORDER_EDIT)
def update_order(context: RecordContext, request: Any) -> dict[str, Any]:
    """Change the given fields (``lines`` replaces every line); a stale version is a 409."""
    order = context.record
    body = read_json(request)
    expected = expected_version(request, body)
    sent = order_body(request, body)
    same_customer(request, order, sent)
    check_version(order, expected)
    form = validated_order(request, {**order_data(order), **sent})
    saved(
        request,
        order,
        ORDER,
        lambda: write_order(request, order, form.values(), form.line_values()),
    )
    set_etag(request, order)
    return serialize_order(order)


@view_config(route_name="api_order_delete", permission=ORDER_DELETE)
def delete_order(context: RecordContext, request: Any) -> HTTPNoContent:
    """Delete an order (soft); the customer's last order date follows."""
    return removed(request, context.record)


# -- contracts --------------------------------------------------------------------------


@view_config(
    route_name="api_contracts", request_method="GET", renderer="json", permission=ORDER_VIEW
)
def list_contracts(request: Any) -> dict[str, Any]:
    """One page of the contracts whose customers are in the caller's scope."""
    query = select(Contract).where(reachable(request, Contract, ORDER_VIEW))
    query = query.options(selectinload(Contract.orders))
    return list_response(request, query, CONTRACT_SPEC, serialize_contract)


def write(request: Any, contract: Contract, form: ContractForm) -> Callable[[], None]:
    """The save of ``contract`` from the validated ``form``."""
    return lambda: write_contract(request, contract, form.values(), form.order_ids.data or [])


@view_config(
    route_name="api_contracts", request_method="POST", renderer="json", permission=ORDER_CREATE
)
def create_contract(request: Any) -> dict[str, Any]:
    """Record a contract; linked orders must be live orders of the same customer (else 404)."""
    body = contract_body(request, read_json(request))
    customer = body_customer(request, body)
    form = validated_contract(request, body)
    contract = Contract(customer_id=customer.id, custom={})
    saved(request, contract, CONTRACT, write(request, contract, form))
    set_created(request, "api_contract", contract)
    return serialize_contract(contract)


@view_config(
    route_name="api_contract", request_method="GET", renderer="json", permission=ORDER_VIEW
)
def get_contract(context: RecordContext, request: Any) -> dict[str, Any]:
    """One contract (with its version as ETag)."""
    set_etag(request, context.record)
    return serialize_contract(context.record)


@view_config(route_name="api_contract_edit", renderer="json", permission=ORDER_EDIT)
def update_contract(context: RecordContext, request: Any) -> dict[str, Any]:
    """Change the given fields (``order_ids`` replaces the links); a stale version is a 409."""
    contract = context.record
    body = read_json(request)
    expected = expected_version(request, body)
    sent = contract_body(request, body)
    same_customer(request, contract, sent)
    check_version(contract, expected)
    form = validated_contract(request, {**contract_data(contract), **sent})
    saved(request, contract, CONTRACT, write(request, contract, form))
    set_etag(request, contract)
    return serialize_contract(contract)


@view_config(route_name="api_contract_delete", permission=ORDER_DELETE)
def delete_contract(context: RecordContext, request: Any) -> HTTPNoContent:
    """Delete a contract (soft); its orders stay."""
    return removed(request, context.record)


def includeme(config: Any) -> None:
    """The API routes; each method's route loads the record within that method's scope."""
    for name, model, record_type in (("order", Order, ORDER), ("contract", Contract, CONTRACT)):
        many = f"/api/v1/{name}s"
        one = many + r"/{id:\d+}"
        config.add_route(f"api_{name}s", many)
        config.add_route(
            f"api_{name}_edit",
            one,
            request_method="PATCH",
            factory=record_factory(record_type, model, "edit"),
        )
        config.add_route(
            f"api_{name}_delete",
            one,
            request_method="DELETE",
            factory=record_factory(record_type, model, "delete"),
        )
        config.add_route(f"api_{name}", one, factory=record_factory(record_type, model, "view"))
    config.scan("plugins.customers.order_api")
