"""The transfer page of one customer (the list's bulk action uses the same service)."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select

from core.security.scopes import RecordContext, record_factory
from plugins.customers import _
from plugins.customers.followup_models import FollowUp
from plugins.customers.models import Customer
from plugins.customers.service import RECORD_TYPE, VIEW
from plugins.customers.transfer import (
    CHOOSE_OWNER,
    TRANSFER,
    find_owner,
    owner_choices,
    transfer_customers,
)
from plugins.customers.views import TEMPLATES, back_to_customer, customer_crumbs, may


def open_follow_ups(request: Any, customer: Customer) -> int:
    """How many planned follow-ups of the current owner go along with the customer."""
    return (
        request.dbsession.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.customer_id == customer.id,
                FollowUp.user_id == customer.owner_id,
                FollowUp.state == "planned",
                FollowUp.deleted_at.is_(None),
            )
        )
        or 0
    )


@view_config(
    route_name="customer_transfer", renderer=TEMPLATES + "transfer.jinja2", permission=TRANSFER
)
def transfer_page(context: RecordContext, request: Any) -> Any:
    """Choose the new owner of a customer; on POST, transfer it with its open follow-ups."""
    customer = context.record
    error = None
    if request.method == "POST":
        owner = find_owner(request, request.POST.get("owner_id"))
        if owner is None or owner.id == customer.owner_id:
            error = CHOOSE_OWNER
        else:
            transfer_customers(
                request, select(Customer.id).where(Customer.id == customer.id), owner
            )
            request.flash(
                _("${name} is transferred to ${owner}."), name=customer.name, owner=owner.name
            )
            if may(request, customer, VIEW):
                return back_to_customer(request, customer.id)
            return HTTPSeeOther(request.route_path("customers"))
    return {
        "customer": customer,
        "owners": [user for user in owner_choices(request) if user.id != customer.owner_id],
        "chosen": request.POST.get("owner_id", ""),
        "follow_ups": open_follow_ups(request, customer),
        "error": error,
        "breadcrumbs": customer_crumbs(request, customer, request.translate(_("Transfer"))),
    }


def includeme(config: Any) -> None:
    """The transfer page of a customer, loaded within the transfer scope."""
    config.add_route(
        "customer_transfer",
        r"/customers/{id:\d+}/transfer",
        factory=record_factory(RECORD_TYPE, "transfer"),
    )
    config.scan("plugins.customers.transfer_views")
