"""Helpers for the order, contract and connector tests: orders stored directly, API clients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core.security.tokens import create_token
from plugins.customers.order_models import Contract, Order, OrderLine
from plugins.customers.orders import ORDER_NUMBERS, next_number, order_amount

ORDER_PERMISSIONS = [
    "customers.customer.view",
    *(f"customers.order.{action}" for action in ("view", "create", "edit", "delete")),
]
LINE = ("P-100", "不锈钢螺丝", "2", "10.00")


def store_order(
    session: Any,
    customer: Any,
    day: dt.date = dt.date(2026, 11, 1),
    lines: tuple[tuple[str, str, str, str], ...] = (LINE,),
    **columns: Any,
) -> Order:
    """An order of ``customer`` written straight to the database (lines: code, name, qty, price)."""
    order = Order(
        customer_id=customer.id,
        number=columns.pop("number", None) or next_number(session, ORDER_NUMBERS, 2026),
        ordered_on=day,
        custom={},
        notes="",
        **columns,
    )
    order.lines = [
        OrderLine(
            position=index,
            product_code=code,
            product_name=name,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
        )
        for index, (code, name, quantity, price) in enumerate(lines)
    ]
    order.amount = order_amount(order.lines)
    session.add(order)
    session.flush()
    return order


def store_contract(session: Any, customer: Any, number: str, **columns: Any) -> Contract:
    """A contract of ``customer`` written straight to the database."""
    contract = Contract(
        customer_id=customer.id,
        number=number,
        title=columns.pop("title", "年度供货合同"),
        custom={},
        notes="",
        **columns,
    )
    session.add(contract)
    session.flush()
    return contract


def order_form(
    day: str = "2026-11-20", lines: list[tuple[str, str, str, str]] | None = None, **fields: str
) -> dict[str, str]:
    """The order page's POST data (lines: code, name, quantity, unit price)."""
    data = {"ordered_on": day, "currency": "CNY", "state": "confirmed", "number": "", **fields}
    for index, (code, name, quantity, price) in enumerate(lines or [LINE]):
        data[f"lines-{index}-product_code"] = code
        data[f"lines-{index}-product_name"] = name
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price
    return data


class Api:
    """A client whose requests carry a bearer token of ``user`` limited to ``permissions``."""

    def __init__(self, client: Any, session: Any, user: Any, permissions: list[str]) -> None:
        self.client = client
        token = create_token(session, user, "t", permissions)[1]
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, params: Any = None, **kw: Any) -> Any:
        return self.client.get(url, params=params, headers=self.headers, **kw)

    def post(self, url: str, body: Any, **kw: Any) -> Any:
        return self.client.post_json(url, body, headers=self.headers, **kw)

    def patch(self, url: str, body: Any, **kw: Any) -> Any:
        return self.client.patch_json(url, body, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kw)
