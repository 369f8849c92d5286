"""What orders and contracts contribute through the customers module's hooks.

``plugins.customers.hooks`` calls these: permissions and default grants, the
menu item, record types, the customer page's tab and timeline entries, the
built-in sales-system connector and the API description.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core.contributions import (
    MenuItem,
    Permission,
    RecordTab,
    RecordType,
    ScopeColumns,
    TimelineEntry,
)
from core.i18n import format_money, user_timezone
from plugins.customers import _
from plugins.customers.connector import StoredOrdersConnector
from plugins.customers.contracts import CONTRACT
from plugins.customers.history import (
    CONTRACT_DESCRIBERS,
    CONTRACT_LABELS,
    ORDER_DESCRIBERS,
    ORDER_LABELS,
    describer,
)
from plugins.customers.models import Customer
from plugins.customers.order_models import CONTRACT_STATES, ORDER_STATES, Contract, Order
from plugins.customers.orders import (
    ORDER,
    ORDER_CREATE,
    ORDER_DELETE,
    ORDER_EDIT,
    ORDER_VIEW,
    PREFIX,
    may_orders,
)
from plugins.customers.views import ORDERS_TAB

#: Default grants (administrators receive every permission anyway).
ORDER_GRANTS = {
    "sales_manager": dict.fromkeys((ORDER_VIEW, ORDER_CREATE, ORDER_EDIT, ORDER_DELETE), "team"),
    "sales_rep": dict.fromkeys((ORDER_VIEW, ORDER_CREATE, ORDER_EDIT), "own"),
    "service_agent": {ORDER_VIEW: "region"},
    "analyst": {ORDER_VIEW: "all"},
}


def order_permissions() -> list[Permission]:
    """Orders and contracts: one set of permissions, scoped through the customer."""
    group = _("Orders and contracts")
    return [
        Permission(ORDER_VIEW, _("View orders and contracts"), group),
        Permission(ORDER_CREATE, _("Record orders and contracts"), group),
        Permission(ORDER_EDIT, _("Edit orders and contracts"), group),
        Permission(ORDER_DELETE, _("Delete orders and contracts"), group),
    ]


def order_menu_item() -> MenuItem:
    """The order list in the side menu."""
    return MenuItem("customers.orders", _("Orders"), "orders", "shopping-cart", 13, ORDER_VIEW)


def order_record_types() -> list[RecordType]:
    """Orders and contracts carry no scope columns: they are reached through their customer
    (``plugins.customers.orders.reachable``), so the generic scope reaches them only for
    "all" grants."""
    return [
        RecordType(
            name=ORDER,
            label=_("Order"),
            model=Order,
            scope=ScopeColumns(),
            detail_route="order_detail",
            permission_prefix=PREFIX,
            title=lambda order: order.number,
            field_labels=ORDER_LABELS,
            describe=describer(ORDER_DESCRIBERS),
        ),
        RecordType(
            name=CONTRACT,
            label=_("Contract"),
            model=Contract,
            scope=ScopeColumns(),
            detail_route="contract_detail",
            permission_prefix=PREFIX,
            title=lambda contract: f"{contract.number} {contract.title}",
            field_labels=CONTRACT_LABELS,
            describe=describer(CONTRACT_DESCRIBERS),
        ),
    ]


def order_tab(request: Any, customer: Customer) -> list[RecordTab]:
    """The "Orders & contracts" tab, for those who may see the customer's orders."""
    if not may_orders(request, customer, ORDER_VIEW):
        return []
    url = request.route_path("customer_orders", id=customer.id)
    return [RecordTab(ORDERS_TAB, _("Orders & contracts"), url, 30, "shopping-cart")]


def sales_connector(request: Any) -> StoredOrdersConnector:
    """The built-in connector, answering from the orders stored here."""
    return StoredOrdersConnector(request)


def before_day(column: Any, before: dt.datetime | None, zone: Any) -> Any:
    """Dates whose midnight (in ``zone``) is strictly before ``before`` (all when None)."""
    if before is None:
        return column.is_not(None)
    local = before.astimezone(zone)
    if local.time() == dt.time():
        return column < local.date()
    return column <= local.date()


def order_timeline(
    request: Any, customer: Customer, before: dt.datetime | None, limit: int
) -> list[TimelineEntry]:
    """The customer's orders (on their order date) and contracts (on their signing date)."""
    if not may_orders(request, customer, ORDER_VIEW):
        return []
    zone = user_timezone(request)
    session = request.dbsession

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)

    def money(record: Order | Contract) -> str:
        return format_money(request, record.amount, record.currency)

    orders = session.scalars(
        select(Order)
        .where(
            Order.customer_id == customer.id,
            Order.deleted_at.is_(None),
            before_day(Order.ordered_on, before, zone),
        )
        .order_by(Order.ordered_on.desc(), Order.id.desc())
        .limit(limit)
    )
    contracts = session.scalars(
        select(Contract)
        .where(
            Contract.customer_id == customer.id,
            Contract.deleted_at.is_(None),
            before_day(Contract.signed_on, before, zone),
        )
        .order_by(Contract.signed_on.desc(), Contract.id.desc())
        .limit(limit)
    )
    entries = [
        TimelineEntry(
            at=midnight(order.ordered_on),
            kind="customers.order",
            title=request.translate(_("Order ${number}", mapping={"number": order.number})),
            detail=" · ".join(
                [money(order), request.translate(ORDER_STATES.get(order.state, order.state))]
            ),
            url=request.route_path("order_detail", id=order.id),
            icon="shopping-cart",
        )
        for order in orders
    ] + [
        TimelineEntry(
            at=midnight(contract.signed_on),  # type: ignore[arg-type]
            kind="customers.contract",
            title=request.translate(
                _("Contract ${number} signed", mapping={"number": contract.number})
            ),
            detail=" · ".join(
                [
                    contract.title,
                    money(contract),
                    request.translate(CONTRACT_STATES.get(contract.state, contract.state)),
                ]
            ),
            url=request.route_path("contract_detail", id=contract.id),
            icon="file-certificate",
        )
        for contract in contracts
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
