"""The notes page and the customer tab; both only reach customers within the user's scope."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config
from sqlalchemy import select

from core.security.scopes import RecordContext, record_factory, scope_filter
from guanxi_example import _
from guanxi_example.hooks import VIEW
from guanxi_example.models import ExampleNote
from plugins.customers.models import Customer

CUSTOMER_VIEW = "customers.customer.view"
PAGE_SIZE = 100


def visible_notes(request: Any) -> Any:
    """Notes on customers the user may see (the customers' own scope predicate)."""
    customers = request.record_types["customer"]
    return (
        select(ExampleNote)
        .join(Customer, ExampleNote.customer_id == Customer.id)
        .where(scope_filter(request.identity, customers, CUSTOMER_VIEW))
        .where(Customer.deleted_at.is_(None))
        .order_by(ExampleNote.id.desc())
        .limit(PAGE_SIZE)
    )


@view_config(
    route_name="example_notes",
    renderer="guanxi_example:templates/example/notes.jinja2",
    permission=VIEW,
)
def notes(request: Any) -> dict[str, Any]:
    """The latest notes on the user's customers."""
    return {
        "notes": list(request.dbsession.scalars(visible_notes(request))),
        "breadcrumbs": [(request.translate(_("Notes")), None)],
    }


@view_config(
    route_name="example_customer_notes",
    renderer="guanxi_example:templates/example/tab.jinja2",
    permission=VIEW,
)
def customer_notes(context: RecordContext, request: Any) -> dict[str, Any]:
    """The notes of one customer, for its page's tab (404 outside the user's scope)."""
    query = (
        select(ExampleNote)
        .where(ExampleNote.customer_id == context.record.id)
        .order_by(ExampleNote.id.desc())
        .limit(PAGE_SIZE)
    )
    return {"notes": list(request.dbsession.scalars(query))}


def includeme(config: Any) -> None:
    """Routes of the notes pages."""
    config.add_route("example_notes", "/example/notes")
    config.add_route(
        "example_customer_notes",
        r"/example/customers/{id:\d+}/notes",
        factory=record_factory("customer", "view"),
    )
    config.scan("guanxi_example.views")
