"""Contract rules shared by the pages and the API.

A contract belongs to a customer and covers some of that customer's orders; it
is reached like an order (see :mod:`plugins.customers.orders`) and numbered
from its own yearly sequence (``HT2026000001``).  Linking an order of another
customer, or one that is deleted, answers 404 as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.security.service_errors import Refused
from plugins.customers.models import Customer
from plugins.customers.order_models import Contract, Order
from plugins.customers.orders import MAX_AMOUNT, TOO_LARGE, Numbering, save_numbered

CONTRACT = "contract"
CONTRACT_NUMBERS = Numbering(Contract.number, "HT", 5)


def linkable_orders(session: Session, customer_id: int) -> list[Order]:
    """The live orders a contract of customer ``customer_id`` may cover, newest first."""
    query = (
        select(Order)
        .where(Order.customer_id == customer_id, Order.deleted_at.is_(None))
        .order_by(Order.ordered_on.desc(), Order.id.desc())
    )
    return list(session.scalars(query))


def orders_to_link(session: Session, customer_id: int, order_ids: Collection[int]) -> list[Order]:
    """The orders ``order_ids``, all live orders of the customer; else 404."""
    wanted = set(order_ids)
    if not wanted:
        return []
    query = (
        select(Order)
        .where(
            Order.id.in_(sorted(wanted)),
            Order.customer_id == customer_id,
            Order.deleted_at.is_(None),
        )
        .order_by(Order.id)
    )
    orders = list(session.scalars(query))
    if len(orders) != len(wanted):
        raise HTTPNotFound()
    return orders


def write_contract(
    request: Any, contract: Contract, values: dict[str, Any], order_ids: Collection[int]
) -> None:
    """Apply validated ``values`` and linked ``order_ids`` and save ``contract``.

    A blank number keeps the contract's, or numbers a new one; a blank amount
    becomes the total of the linked orders.
    """
    values = dict(values)
    wanted = values.pop("number") or contract.number
    orders = orders_to_link(request.dbsession, contract.customer_id, order_ids)
    if values.get("amount") is None:
        values["amount"] = sum((order.amount for order in orders), Decimal(0))
    if values["amount"] > MAX_AMOUNT:
        raise Refused({"amount": [TOO_LARGE]})

    def change() -> None:
        for name, value in values.items():
            setattr(contract, name, value)
        contract.orders = orders

    save_numbered(request, contract, wanted, CONTRACT_NUMBERS, change)


def contracts_of(session: Session, customer: Customer, limit: int | None = None) -> list[Contract]:
    """The customer's live contracts, the most recently signed first (unsigned ones last)."""
    query = (
        select(Contract)
        .where(Contract.customer_id == customer.id, Contract.deleted_at.is_(None))
        .order_by(Contract.signed_on.desc().nulls_last(), Contract.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def contracts_covering(session: Session, order: Order) -> list[Contract]:
    """The live contracts that cover ``order``."""
    query = (
        select(Contract)
        .where(Contract.orders.contains(order), Contract.deleted_at.is_(None))
        .order_by(Contract.id)
    )
    return list(session.scalars(query))
