"""The order list's query: its parameters, kept only when usable, and what they select.

The order page and its export both build the list here, so the file holds
exactly the orders the page shows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from sqlalchemy import Select, select

from core.validation import parse_id
from plugins.customers.order_models import ORDER_STATES, Order
from plugins.customers.orders import ORDER_VIEW, customer_ids
from plugins.customers.service import text_match

MAX_QUERY = 100


def list_state(params: Any) -> dict[str, str]:
    """The list's parameters that hold an allowed value (anything else is ignored)."""
    state: dict[str, str] = {}
    for name in ("from", "to"):
        with contextlib.suppress(ValueError):
            state[name] = dt.date.fromisoformat(params.get(name, "")).isoformat()
    if params.get("state") in ORDER_STATES:
        state["state"] = params["state"]
    if parse_id(params.get("customer_id")) is not None:
        state["customer_id"] = params["customer_id"]
    customer = " ".join(params.get("customer", "").split())[:MAX_QUERY]
    if customer and "customer_id" not in state:
        state["customer"] = customer
    return state


def list_query(request: Any, params: Any) -> tuple[Select, dict[str, str]]:
    """The live orders the user may see that the list's ``params`` select, newest first.

    Returns the query and the parameters it used.
    """
    state = list_state(params)
    customers = customer_ids(request, ORDER_VIEW)
    if "customer" in state:
        customers = customers.where(text_match(state["customer"]))
    query = select(Order).where(Order.deleted_at.is_(None), Order.customer_id.in_(customers))
    if "from" in state:
        query = query.where(Order.ordered_on >= dt.date.fromisoformat(state["from"]))
    if "to" in state:
        query = query.where(Order.ordered_on <= dt.date.fromisoformat(state["to"]))
    if "state" in state:
        query = query.where(Order.state == state["state"])
    if "customer_id" in state:
        query = query.where(Order.customer_id == int(state["customer_id"]))
    return query.order_by(Order.ordered_on.desc(), Order.id.desc()), state
