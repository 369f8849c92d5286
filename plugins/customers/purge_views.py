"""Purging a customer from the recycle bin: a confirmation page, then the purge."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from core.security.scopes import RecordContext
from core.security.service_errors import Refused
from core.validation import parse_id
from plugins.customers import _
from plugins.customers.models import Customer
from plugins.customers.purge import PURGE, child_counts, purge_customer
from plugins.customers.service import RECORD_TYPE, route_factory, scoped
from plugins.customers.views import TEMPLATES

TYPE_CODE = _("Type the customer code exactly as shown to confirm.")


def find_purgeable(request: Any, raw_id: Any, permission: str) -> Customer | None:
    """The deleted customer ``raw_id`` if ``permission`` (the purge) reaches it."""
    customer_id = parse_id(raw_id)
    query = select(Customer).where(
        Customer.id == customer_id, Customer.deleted_at.is_not(None), scoped(request, permission)
    )
    return None if customer_id is None else request.dbsession.scalars(query).first()


#: Route context of a deleted customer within the user's purge scope (else 404).
purge_factory = route_factory(RECORD_TYPE, find_purgeable, PURGE, granted=False)


@view_config(route_name="customer_purge", renderer=TEMPLATES + "purge.jinja2", permission=PURGE)
def purge_page(context: RecordContext, request: Any) -> Any:
    """Show what goes; on POST with the customer's code typed again, remove it for good."""
    customer = context.record
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("confirm_code", "").strip() != customer.code:
            errors.append(request.translate(TYPE_CODE))
        else:
            name = customer.name
            try:
                purge_customer(request, customer)
            except Refused as refused:
                errors.extend(request.translate(message) for message in refused.messages())
            else:
                request.flash(_("${name} is purged for good."), "warning", name=name)
                return HTTPSeeOther(request.route_path("customers", _query={"deleted": "1"}))
    return {
        "customer": customer,
        "counts": child_counts(request.dbsession, customer.id),
        "errors": errors,
        "breadcrumbs": [
            (request.translate(_("Customers")), request.route_path("customers")),
            (
                request.translate(_("Deleted customers")),
                request.route_path("customers", _query={"deleted": "1"}),
            ),
            (customer.name, None),
        ],
    }


def includeme(config: Any) -> None:
    """The purge page of a deleted customer."""
    config.add_route("customer_purge", r"/customers/{id:\d+}/purge", factory=purge_factory)
    config.scan("plugins.customers.purge_views")
