"""Revealing a customer's ID number or bank account on its page (audited)."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from core.security.fields import unmask
from core.security.scopes import RecordContext, record_factory
from plugins.customers.field_rules import VIEW_SENSITIVE
from plugins.customers.forms import SENSITIVE
from plugins.customers.service import RECORD_TYPE


@view_config(
    route_name="customer_reveal",
    request_method="POST",
    renderer="plugins.customers:templates/customers/revealed.jinja2",
    permission=VIEW_SENSITIVE,
)
def reveal(context: RecordContext, request: Any) -> dict[str, Any]:
    """The clear value of the posted ``field``, replacing its masked form on the page.

    404 for a field that is not sensitive; 403 when the reveal permission does not
    reach this customer.  Every reveal is recorded in the audit trail.
    """
    field = request.POST.get("field", "")
    if field not in SENSITIVE:
        raise HTTPNotFound()
    value = unmask(request, context.record_type, context.record, field)
    return {"field": field, "value": value}


def includeme(config: Any) -> None:
    """The reveal route: the customer is loaded within the view scope (else 404)."""
    config.add_route(
        "customer_reveal",
        r"/customers/{id:\d+}/reveal",
        factory=record_factory(RECORD_TYPE, "view"),
    )
    config.scan("plugins.customers.sensitive_views")
