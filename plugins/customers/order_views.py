"""The order and contract pages: the customer's "Orders & contracts" tab, forms, details,
the global order list and the sales-system lookup panel."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from webob.multidict import MultiDict

from core.api.listing import list_response
from core.api.problems import ProblemError
from core.db import utcnow
from core.i18n import user_timezone
from core.security.scopes import RecordContext
from core.web.form_feedback import posted_action, save_form
from plugins.customers import _
from plugins.customers.connector import BUILTIN
from plugins.customers.contracts import (
    CONTRACT,
    contracts_covering,
    contracts_of,
    linkable_orders,
    write_contract,
)
from plugins.customers.listing import CheckedParams
from plugins.customers.models import Customer
from plugins.customers.order_api import ORDER_SPEC
from plugins.customers.order_forms import ContractForm, OrderForm, contract_data, order_data
from plugins.customers.order_listing import list_query
from plugins.customers.order_models import CONTRACT_STATES, ORDER_STATES, Contract, Order
from plugins.customers.orders import (
    ORDER,
    ORDER_CREATE,
    ORDER_DELETE,
    ORDER_EDIT,
    ORDER_VIEW,
    customer_factory,
    customer_ids,
    line_total,
    live_orders_of,
    may_orders,
    record_factory,
    sales_totals,
    soft_delete,
    write_order,
)
from plugins.customers.service import company_year
from plugins.customers.views import (
    ORDERS_TAB,
    back_to_customer,
    customer_crumbs,
    customer_form_page,
)

log = logging.getLogger(__name__)
TEMPLATES = "plugins.customers:templates/customers/"
#: Orders and contracts shown on the customer's tab (the order list has the rest).
TAB_ROWS = 20
#: Products and past orders shown by the lookup panel.
LOOKUP_ROWS = 10
MAX_QUERY = 100
STATE_BADGES = {
    "draft": "text-bg-light",
    "confirmed": "text-bg-info",
    "shipped": "text-bg-primary",
    "completed": "text-bg-success",
    "cancelled": "text-bg-secondary",
    "signed": "text-bg-info",
    "active": "text-bg-success",
    "expired": "text-bg-secondary",
    "terminated": "text-bg-dark",
}


def labels(request: Any) -> dict[str, Any]:
    """State labels and badges for the order and contract templates."""
    return {
        "order_states": {key: request.translate(label) for key, label in ORDER_STATES.items()},
        "contract_states": {
            key: request.translate(label) for key, label in CONTRACT_STATES.items()
        },
        "state_badges": STATE_BADGES,
    }


def permissions(request: Any, customer: Customer) -> dict[str, bool]:
    """Which order and contract buttons to show for ``customer``."""
    return {
        "can_create": may_orders(request, customer, ORDER_CREATE),
        "can_edit": may_orders(request, customer, ORDER_EDIT),
        "can_delete": may_orders(request, customer, ORDER_DELETE),
    }


# -- the tab ----------------------------------------------------------------------------


def current_connector(request: Any) -> Any:
    """The connector answering lookups: a plugin's, else the built-in one."""
    return request.hooks.guanxi_sales_connector(request=request)


@view_config(
    route_name="customer_orders", renderer=TEMPLATES + "orders.jinja2", permission=ORDER_VIEW
)
def customer_orders(context: RecordContext, request: Any) -> dict[str, Any]:
    """The "Orders & contracts" tab: totals, the latest orders and contracts, the lookup."""
    customer = context.record
    session = request.dbsession
    year = company_year(request.registry.settings)
    return {
        "customer": customer,
        "orders": live_orders_of(session, customer, TAB_ROWS),
        "contracts": contracts_of(session, customer, TAB_ROWS),
        "lifetime": sales_totals(session, customer),
        "this_year": sales_totals(session, customer, dt.date(year, 1, 1)),
        "year": year,
        "connector": current_connector(request),
        "builtin": BUILTIN,
        **permissions(request, customer),
        **labels(request),
    }


@view_config(
    route_name="customer_sales_lookup",
    renderer=TEMPLATES + "order_lookup.jinja2",
    permission=ORDER_VIEW,
)
def sales_lookup(context: RecordContext, request: Any) -> dict[str, Any]:
    """The lookup panel's answer: matching products with their stock, and past orders."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    connector = current_connector(request)
    result: dict[str, Any] = {"query": query, "products": [], "history": [], **labels(request)}
    if connector is None:
        return result
    try:
        if query:
            result["products"] = [
                (product, connector.stock_level(product.code))
                for product in connector.product_search(query, LOOKUP_ROWS)
            ]
        result["history"] = connector.order_history(context.record, LOOKUP_ROWS)
    except Exception:  # a third-party system may fail in any way: say so, never a 500
        log.exception("sales connector %s failed", getattr(connector, "key", connector))
        result["failed"] = True
    return result


# -- orders -----------------------------------------------------------------------------


def order_form(request: Any, order: Order | None) -> OrderForm:
    """The order form bound to the POST, else to the order's values (a new one: today)."""
    if request.method == "POST":
        return OrderForm(request, request.POST)
    if order is not None:
        return OrderForm(request, data=order_data(order))
    return OrderForm(
        request, data={"ordered_on": utcnow().astimezone(user_timezone(request)).date()}
    )


def line_button(form: OrderForm, request: Any) -> bool:
    """Handle "add line" and "remove line" (re-rendering, saving nothing); True if pressed."""
    if "add_line" in request.POST:
        form.add_line()
        return True
    if "remove_line" in request.POST:
        raw = request.POST["remove_line"]
        if raw.isdigit() and len(raw) <= 3:
            form.remove_line(int(raw))
        return True
    return False


def order_page(request: Any, form: OrderForm, customer: Customer, order: Order | None) -> dict:
    """The template data of the order create and edit pages."""
    title = _("Edit order ${number}", mapping={"number": order.number}) if order else _("New order")
    return customer_form_page(request, form, customer, title, order=order)


def save_order(request: Any, form: OrderForm, order: Order) -> bool:
    """Validate and save; refusals and conflicts go onto the form. True when saved."""

    def save() -> None:
        write_order(request, order, form.values(), form.line_values())

    return save_form(request, form, save, order, versioned=True) is not None


@view_config(
    route_name="customer_order_new",
    renderer=TEMPLATES + "order_form.jinja2",
    permission=ORDER_CREATE,
)
def order_new(context: RecordContext, request: Any) -> Any:
    """Record an order of this customer; a blank number is filled automatically."""
    customer = context.record
    form = order_form(request, None)
    if request.method == "POST" and not line_button(form, request):
        order = Order(customer_id=customer.id, custom={})
        if save_order(request, form, order):
            request.flash(_("Order ${number} is saved."), number=order.number)
            return HTTPSeeOther(request.route_path("order_detail", id=order.id))
    return order_page(request, form, customer, None)


@view_config(
    route_name="order_edit", renderer=TEMPLATES + "order_form.jinja2", permission=ORDER_EDIT
)
def order_edit(context: RecordContext, request: Any) -> Any:
    """Edit an order and its lines; saving over somebody else's newer changes is refused."""
    order = context.record
    form = order_form(request, order)
    pressed = request.method == "POST" and line_button(form, request)
    if request.method == "POST" and not pressed and save_order(request, form, order):
        request.flash(_("Order ${number} is saved."), number=order.number)
        return HTTPSeeOther(request.route_path("order_detail", id=order.id))
    return order_page(request, form, order.customer, order)


@view_config(
    route_name="order_detail", renderer=TEMPLATES + "order_detail.jinja2", permission=ORDER_VIEW
)
def order_detail(context: RecordContext, request: Any) -> dict[str, Any]:
    """An order with its lines and the contracts covering it."""
    order = context.record
    title = request.translate(_("Order ${number}", mapping={"number": order.number}))
    return {
        "order": order,
        "customer": order.customer,
        "contracts": contracts_covering(request.dbsession, order),
        "line_total": line_total,
        "title": title,
        "breadcrumbs": customer_crumbs(request, order.customer, title),
        **permissions(request, order.customer),
        **labels(request),
    }


@view_config(route_name="order_delete", request_method="POST", permission=ORDER_DELETE)
def order_delete(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Delete an order (after the confirmation); the customer's last order date follows."""
    return deleted(request, context.record, _("Order ${number} is deleted."))


def deleted(request: Any, record: Order | Contract, message: Any) -> HTTPSeeOther:
    """Soft-delete ``record`` if the posted version is current; back to its customer."""
    if posted_action(request, record, lambda: soft_delete(request.dbsession, record)):
        request.flash(message, "warning", number=record.number)
    return back_to_customer(request, record.customer_id, ORDERS_TAB)


# -- the order list ---------------------------------------------------------------------


def page_of(request: Any, query: Any, params: dict[str, str]) -> tuple[list[Order], str | None]:
    """One page of ``query`` newest first (keyset over ``ix_orders_live_date``) and the next
    page's cursor; raises ``ProblemError`` for a cursor it cannot use."""
    checked = CheckedParams(MultiDict(params), request.path_url, request.dbsession)
    page = list_response(checked, query, ORDER_SPEC, lambda order: order)
    if page["next"] is None:
        return page["items"], None
    return page["items"], parse_qs(urlsplit(page["next"]).query)["cursor"][0]


@view_config(route_name="orders", renderer=TEMPLATES + "order_list.jinja2", permission=ORDER_VIEW)
def order_list(request: Any) -> dict[str, Any]:
    """Every order the user may see, newest first, filtered by date, state and customer."""
    query, state = list_query(request, request.GET)
    query = query.order_by(None).options(selectinload(Order.customer))
    params = {"sort": "-ordered_on"}
    cursor = request.GET.get("cursor")
    error = None
    try:
        orders, next_cursor = page_of(
            request, query, {**params, **({"cursor": cursor} if cursor else {})}
        )
    except ProblemError:
        error = _("That page of the list is no longer available; here is the first page.")
        orders, next_cursor = page_of(request, query, params)
        cursor = None
    chosen = None
    if "customer_id" in state:
        chosen = request.dbsession.scalars(
            select(Customer).where(
                Customer.id.in_(customer_ids(request, ORDER_VIEW)),
                Customer.id == int(state["customer_id"]),
            )
        ).first()

    def url_with(**changes: Any) -> str:
        """This list's address with some parameters changed (``None`` removes one)."""
        query = {key: value for key, value in {**state, **changes}.items() if value is not None}
        return request.route_path("orders", _query=query)

    return {
        "orders": orders,
        "state": state,
        "chosen_customer": chosen,
        "next_url": url_with(cursor=next_cursor) if next_cursor else None,
        "first_page": not cursor,
        "url_with": url_with,
        "error": error,
        "breadcrumbs": [(request.translate(_("Orders")), None)],
        **labels(request),
    }


# -- contracts --------------------------------------------------------------------------


def contract_form(request: Any, customer: Customer, contract: Contract | None) -> ContractForm:
    """The contract form (offering the customer's orders) bound to the POST or the contract."""
    orders = linkable_orders(request.dbsession, customer.id)
    if request.method == "POST":
        return ContractForm(request, request.POST, orders=orders)
    data = contract_data(contract) if contract else {}
    return ContractForm(request, orders=orders, data=data)


def contract_page(
    request: Any, form: ContractForm, customer: Customer, contract: Contract | None
) -> dict[str, Any]:
    """The template data of the contract create and edit pages."""
    title = (
        _("Edit contract ${number}", mapping={"number": contract.number})
        if contract
        else _("New contract")
    )
    return customer_form_page(request, form, customer, title, contract=contract)


def save_contract(request: Any, form: ContractForm, contract: Contract) -> bool:
    """Validate and save; refusals and conflicts go onto the form. True when saved."""

    def save() -> None:
        write_contract(request, contract, form.values(), form.order_ids.data or [])

    return save_form(request, form, save, contract, versioned=True) is not None


@view_config(
    route_name="customer_contract_new",
    renderer=TEMPLATES + "contract_form.jinja2",
    permission=ORDER_CREATE,
)
def contract_new(context: RecordContext, request: Any) -> Any:
    """Record a contract with this customer, covering some of its orders."""
    customer = context.record
    form = contract_form(request, customer, None)
    contract = Contract(customer_id=customer.id, custom={})
    if save_contract(request, form, contract):
        request.flash(_("Contract ${number} is saved."), number=contract.number)
        return HTTPSeeOther(request.route_path("contract_detail", id=contract.id))
    return contract_page(request, form, customer, None)


@view_config(
    route_name="contract_edit", renderer=TEMPLATES + "contract_form.jinja2", permission=ORDER_EDIT
)
def contract_edit(context: RecordContext, request: Any) -> Any:
    """Edit a contract; saving over somebody else's newer changes is refused."""
    contract = context.record
    form = contract_form(request, contract.customer, contract)
    if save_contract(request, form, contract):
        request.flash(_("Contract ${number} is saved."), number=contract.number)
        return HTTPSeeOther(request.route_path("contract_detail", id=contract.id))
    return contract_page(request, form, contract.customer, contract)


@view_config(
    route_name="contract_detail",
    renderer=TEMPLATES + "contract_detail.jinja2",
    permission=ORDER_VIEW,
)
def contract_detail(context: RecordContext, request: Any) -> dict[str, Any]:
    """A contract with the orders it covers."""
    contract = context.record
    title = request.translate(_("Contract ${number}", mapping={"number": contract.number}))
    return {
        "contract": contract,
        "customer": contract.customer,
        "orders": [order for order in contract.orders if order.deleted_at is None],
        "title": title,
        "breadcrumbs": customer_crumbs(request, contract.customer, title),
        **permissions(request, contract.customer),
        **labels(request),
    }


@view_config(route_name="contract_delete", request_method="POST", permission=ORDER_DELETE)
def contract_delete(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Delete a contract (after the confirmation); its orders stay."""
    return deleted(request, context.record, _("Contract ${number} is deleted."))


def includeme(config: Any) -> None:
    """The routes of the order and contract pages; each checks the customer's scope (else 404)."""
    customer = r"/customers/{id:\d+}"
    order = r"/orders/{id:\d+}"
    contract = r"/contracts/{id:\d+}"
    config.add_route("orders", "/orders")
    config.add_route("customer_orders", customer + "/orders", factory=customer_factory("view"))
    config.add_route(
        "customer_sales_lookup", customer + "/sales-lookup", factory=customer_factory("view")
    )
    config.add_route(
        "customer_order_new", customer + "/orders/new", factory=customer_factory("create")
    )
    config.add_route(
        "customer_contract_new", customer + "/contracts/new", factory=customer_factory("create")
    )
    config.add_route("order_detail", order, factory=record_factory(ORDER, Order, "view"))
    config.add_route("order_edit", order + "/edit", factory=record_factory(ORDER, Order, "edit"))
    config.add_route(
        "order_delete", order + "/delete", factory=record_factory(ORDER, Order, "delete")
    )
    config.add_route(
        "contract_detail", contract, factory=record_factory(CONTRACT, Contract, "view")
    )
    config.add_route(
        "contract_edit", contract + "/edit", factory=record_factory(CONTRACT, Contract, "edit")
    )
    config.add_route(
        "contract_delete",
        contract + "/delete",
        factory=record_factory(CONTRACT, Contract, "delete"),
    )
    config.scan("plugins.customers.order_views")
