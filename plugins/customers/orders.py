"""Order rules shared by the pages, the API, the connector and the timeline.

Orders and contracts have no owner, team or region of their own: they are reached
through their customer.  ``customers.order.<action>`` (contracts share these
permissions) reaches a record when its customer is live, in the user's
``customers.customer.view`` scope and in the scope of the order permission.

An order's ``amount`` is the sum of its lines (quantity × unit price, in
``Decimal``), rounded half-up to cents.  Blank numbers are filled from a
yearly sequence (``SO2026000001``); a number a concurrent save took is
replaced by the next one.  Saves happen in a savepoint so that a refused save
changes nothing (``Refused`` for bad input, ``ConflictError`` for a stale one).
Every flush that touches orders recomputes ``Customer.last_order_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import zip_longest
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, event, func, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from core.db import utcnow
from core.security.scopes import RecordContext
from core.security.service_errors import Refused, savepoint
from core.validation import parse_id
from plugins.customers import _
from plugins.customers.models import Customer
from plugins.customers.order_models import Order, OrderLine
from plugins.customers.service import RECORD_TYPE as CUSTOMER
from plugins.customers.service import (
    VIEW,
    company_year,
    live_customers,
    retry_numbering,
    route_factory,
    scoped,
)

ORDER = "order"
PREFIX = "customers.order"
ORDER_VIEW, ORDER_CREATE, ORDER_EDIT, ORDER_DELETE = (
    f"{PREFIX}.{action}" for action in ("view", "create", "edit", "delete")
)
#: Currencies an order or contract may be in (ISO 4217), the company's own first.
CURRENCIES = (
    "CNY", "HKD", "MOP", "TWD", "USD", "EUR", "JPY", "KRW", "GBP", "SGD", "AUD", "CAD",
    "CHF", "NZD", "SEK", "NOK", "DKK", "RUB", "INR", "THB", "MYR", "IDR", "PHP", "VND",
    "AED", "SAR", "BRL", "MXN", "ZAR",
)  # fmt: skip
DEFAULT_CURRENCY = "CNY"
#: States whose orders count as sales (totals); cancelled ones never count.
SOLD_STATES = ("confirmed", "shipped", "completed")
CENT = Decimal("0.01")
#: Largest amount the ``Numeric(14, 2)`` columns hold.
MAX_AMOUNT = Decimal("999999999999.99")

NUMBER_TAKEN = _("This number is already in use.")
TOO_LARGE = _("The total is too large: split the order.")


# -- scope ------------------------------------------------------------------------------


def order_customers(request: Any, permission: str) -> ColumnElement[bool]:
    """Live customers the user may view whose orders ``permission`` reaches."""
    return and_(scoped(request, VIEW), scoped(request, permission), live_customers())


def customer_ids(request: Any, permission: str) -> Select:
    """The ids of the customers whose orders and contracts ``permission`` reaches."""
    return select(Customer.id).where(order_customers(request, permission))


def reachable(request: Any, model: Any, permission: str) -> ColumnElement[bool]:
    """Live orders or contracts (``model``) that ``permission`` reaches."""
    return and_(
        model.deleted_at.is_(None), model.customer_id.in_(customer_ids(request, permission))
    )


def may_orders(request: Any, customer: Customer, permission: str) -> bool:
    """Whether ``permission`` reaches the orders of ``customer`` (for buttons)."""
    if not request.identity.can(permission):
        return False
    query = customer_ids(request, permission).where(Customer.id == customer.id)
    return request.dbsession.execute(query).first() is not None


def reachable_customer(request: Any, raw_id: Any, permission: str) -> Customer | None:
    """The live customer ``raw_id`` if ``permission`` reaches its orders."""
    customer_id = parse_id(raw_id)
    if customer_id is None or request.identity is None:
        return None
    query = select(Customer).where(Customer.id == customer_id, order_customers(request, permission))
    return request.dbsession.scalars(query).first()


def customer_factory(action: str) -> Callable[[Any], RecordContext]:
    """A route context factory: customer ``{id}`` whose orders ``action`` reaches, else 404."""
    return route_factory(CUSTOMER, reachable_customer, f"{PREFIX}.{action}")


def record_factory(
    record_type_name: str, model: Any, action: str
) -> Callable[[Any], RecordContext]:
    """A route context factory: order or contract ``{id}`` that ``action`` reaches, else 404."""

    def find(request: Any, raw_id: Any, permission: str) -> Any:
        record_id = parse_id(raw_id)
        query = select(model).where(model.id == record_id, reachable(request, model, permission))
        return None if record_id is None else request.dbsession.scalars(query).first()

    return route_factory(record_type_name, find, f"{PREFIX}.{action}")


# -- amounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineValues:
    """One validated order line."""

    product_code: str | None
    product_name: str
    quantity: Decimal
    unit_price: Decimal


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity × unit price, rounded half-up to cents."""
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def order_amount(lines: Sequence[LineValues | OrderLine]) -> Decimal:
    """The exact sum of the lines' products, rounded half-up to cents."""
    exact = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


# -- numbering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Numbering:
    """A yearly sequence of record numbers: ``prefix`` + year + ``digits`` digits."""

    column: Any
    prefix: str
    digits: int


ORDER_NUMBERS = Numbering(Order.number, "SO", 6)


def next_number(session: Session, numbering: Numbering, year: int) -> str:
    """The next free automatic number of ``year``: ``SO2026000042`` after ``SO2026000041``."""
    return next_numbers(session, numbering, year, 1)[0]


def next_numbers(session: Session, numbering: Numbering, year: int, count: int) -> list[str]:
    """The next ``count`` free automatic numbers of ``year`` (for bulk imports)."""
    head = f"{numbering.prefix}{year}"
    low, high = head + "0" * numbering.digits, head + "9" * numbering.digits
    column = numbering.column
    taken = session.scalars(
        select(column).where(column >= low, column <= high).order_by(column.desc()).limit(50)
    )
    first = 1
    for number in taken:
        tail = number[len(head) :]
        if len(number) == len(low) and tail.isdigit():
            first = int(tail) + 1
            break
    return [f"{head}{first + offset:0{numbering.digits}d}" for offset in range(count)]


def number_in_use(session: Session, numbering: Numbering, number: str, record_id: Any) -> bool:
    """Whether another record (deleted ones included) has ``number``."""
    column = numbering.column
    model = column.class_
    query = select(model.id).where(column == number)
    if record_id is not None:
        query = query.where(model.id != record_id)
    return session.execute(query.limit(1)).first() is not None


def touch(record: Any) -> None:
    """Make the next flush UPDATE ``record`` so its version moves even if only children did."""
    record.updated_at = utcnow()
    flag_modified(record, "updated_at")


def save_numbered(
    request: Any, record: Any, wanted: str | None, numbering: Numbering, change: Callable[[], None]
) -> None:
    """Run ``change`` and number ``record`` (``wanted`` or the next free one) in a savepoint.

    A taken ``wanted`` number is refused; an automatic one that a concurrent save took
    is replaced (see :func:`retry_numbering`); a stale version is a ``ConflictError``.
    """
    session = request.dbsession
    if wanted and number_in_use(session, numbering, wanted, record.id):
        raise Refused({"number": [NUMBER_TAKEN]})
    year = company_year(request.registry.settings)

    def save() -> None:
        with session.no_autoflush:  # one UPDATE, so the version moves by one
            change()
            record.number = wanted or next_number(session, numbering, year)
            if record.id is not None:
                touch(record)
            session.add(record)

    retry_numbering(session, record, save, not wanted, {"number": [NUMBER_TAKEN]})


def soft_delete(session: Session, record: Any) -> None:
    """Set ``deleted_at`` in a savepoint; a stale version is a ``ConflictError``."""
    with savepoint(session, record):
        record.deleted_at = utcnow()


# -- orders -----------------------------------------------------------------------------


def set_lines(order: Order, lines: Sequence[LineValues]) -> None:
    """Make ``order``'s lines ``lines``, editing the existing rows in place, in order."""
    for position, (line, values) in enumerate(zip_longest(list(order.lines), lines)):
        if values is None:
            order.lines.remove(line)
            continue
        if line is None:
            line = OrderLine()
            order.lines.append(line)
        line.position = position
        line.product_code = values.product_code
        line.product_name = values.product_name
        line.quantity = values.quantity
        line.unit_price = values.unit_price


def write_order(
    request: Any, order: Order, values: dict[str, Any], lines: Sequence[LineValues]
) -> None:
    """Apply validated ``values`` and ``lines`` and save ``order``; its amount is their sum.

    A blank ``values["number"]`` keeps the order's number, or numbers a new order.
    """
    values = dict(values)
    wanted = values.pop("number") or order.number
    amount = order_amount(lines)
    if amount > MAX_AMOUNT:
        raise Refused({"": [TOO_LARGE]})

    def change() -> None:
        for name, value in values.items():
            setattr(order, name, value)
        set_lines(order, lines)
        order.amount = amount

    save_numbered(request, order, wanted, ORDER_NUMBERS, change)


def live_orders_of(session: Session, customer: Customer, limit: int | None = None) -> list[Order]:
    """The customer's live orders, newest first."""
    query = (
        select(Order)
        .where(Order.customer_id == customer.id, Order.deleted_at.is_(None))
        .order_by(Order.ordered_on.desc(), Order.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def sales_totals(
    session: Session, customer: Customer, since: dt.date | None = None
) -> dict[str, Decimal]:
    """The customer's sales (confirmed, shipped, completed orders) by currency."""
    query = select(Order.currency, func.sum(Order.amount)).where(
        Order.customer_id == customer.id,
        Order.deleted_at.is_(None),
        Order.state.in_(SOLD_STATES),
    )
    if since is not None:
        query = query.where(Order.ordered_on >= since)
    rows = session.execute(query.group_by(Order.currency).order_by(Order.currency))
    return {currency: Decimal(total).quantize(CENT) for currency, total in rows}


# -- Customer.last_order_at -------------------------------------------------------------

#: Order columns whose change can move the customer's last order date.
_DATE_COLUMNS = ("customer_id", "ordered_on", "state", "deleted_at")


def last_order_at(session: Session, customer_id: int) -> dt.datetime | None:
    """Midnight (UTC) of the customer's latest live, not cancelled order, if any."""
    latest = session.scalar(
        select(func.max(Order.ordered_on)).where(
            Order.customer_id == customer_id,
            Order.deleted_at.is_(None),
            Order.state != "cancelled",
        )
    )
    if latest is None:
        return None
    return dt.datetime.combine(latest, dt.time(), tzinfo=dt.UTC)


def _touched_customers(session: Session) -> set[int]:
    """Customers whose orders were added, removed or re-dated in this flush."""
    found: set[int] = set()
    for order in [*session.new, *session.dirty, *session.deleted]:
        if not isinstance(order, Order):
            continue
        state = inspect(order)
        if order in session.dirty:
            histories = [state.attrs[name].history for name in _DATE_COLUMNS]
            if not any(history.has_changes() for history in histories):
                continue
            found.update(value for value in histories[0].deleted if value is not None)
        if order.customer_id is not None:
            found.add(order.customer_id)
    return found


def refresh_last_order_at(session: Session, ids: Collection[int]) -> None:
    """Recompute ``last_order_at`` of customers ``ids`` (after orders moved in bulk, say).

    Written with a plain UPDATE: the customer's version does not move (whoever is
    editing the customer is not in conflict with a new order).
    """
    table = Customer.__table__
    for customer_id in sorted(ids):
        value = last_order_at(session, customer_id)
        session.connection().execute(
            update(table).where(table.c.id == customer_id).values(last_order_at=value)
        )
        key = inspect(Customer).identity_key_from_primary_key((customer_id,))
        loaded = session.identity_map.get(key)
        if loaded is not None:
            set_committed_value(loaded, "last_order_at", value)


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, flush_context: Any) -> None:
    """Keep ``last_order_at`` of the customers whose orders this flush changed."""
    touched = _touched_customers(session)
    if touched:
        refresh_last_order_at(session, touched)
