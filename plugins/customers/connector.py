"""The built-in sales-system connector: it answers from the orders stored in Guanxi.

Products are the distinct product codes and names of the lines of orders the
user may see; stock levels are unknown ("not available"); a customer's order
history is its live orders.  A connector plugin for the company's real sales
system replaces it (``guanxi_sales_connector`` is ``firstresult`` and this one
is registered ``trylast``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from core.contributions import SalesOrder, SalesProduct, StockLevel
from plugins.customers import _
from plugins.customers.models import Customer
from plugins.customers.order_models import Order, OrderLine
from plugins.customers.orders import ORDER_VIEW, live_orders_of, reachable
from plugins.customers.service import prefix_match

BUILTIN = "builtin"


class StoredOrdersConnector:
    """Lookups answered from the orders recorded here, within the user's scope."""

    key = BUILTIN
    label = _("Orders recorded in Guanxi")

    def __init__(self, request: Any) -> None:
        self.request = request

    def product_search(self, query: str, limit: int) -> list[SalesProduct]:
        """Products of visible order lines whose code or name starts with ``query``."""
        query = "".join(ch for ch in query if ch.isprintable()).strip()
        if not query:
            return []
        matches = or_(
            prefix_match(OrderLine.product_code, query),
            prefix_match(OrderLine.product_name, query),
        )
        rows = self.request.dbsession.execute(
            select(OrderLine.product_code, OrderLine.product_name)
            .join(Order, Order.id == OrderLine.order_id)
            .where(matches, reachable(self.request, Order, ORDER_VIEW))
            .group_by(OrderLine.product_code, OrderLine.product_name)
            .order_by(func.min(OrderLine.product_name), OrderLine.product_code)
            .limit(limit)
        )
        return [SalesProduct(code=code or "", name=name) for code, name in rows]

    def stock_level(self, product_code: str) -> StockLevel:
        """Guanxi keeps no stock: the level is not available."""
        return StockLevel(product_code=product_code, quantity=None)

    def order_history(self, customer: Customer, limit: int) -> list[SalesOrder]:
        """The customer's latest live orders, newest first."""
        return [
            SalesOrder(
                number=order.number,
                ordered_on=order.ordered_on,
                amount=order.amount,
                currency=order.currency,
                state=order.state,
                url=self.request.route_path("order_detail", id=order.id),
            )
            for order in live_orders_of(self.request.dbsession, customer, limit)
        ]
