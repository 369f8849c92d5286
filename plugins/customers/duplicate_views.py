"""The duplicates page: pairs of customers that share a phone, e-mail, credit code or name.

For users holding ``customers.customer.merge``: each pair links to the merge
page, or is dismissed as "not a duplicate" (remembered in the settings store).
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from core.validation import parse_id
from core.web.views import safe_next
from plugins.customers import _
from plugins.customers.duplicates import GROUP_COLUMNS, dismiss_pair, duplicate_groups
from plugins.customers.merge import MERGE
from plugins.customers.models import Customer
from plugins.customers.service import live_customers, scoped
from plugins.customers.views import TEMPLATES, display_helpers

#: Groups of customers per page.
PAGE_GROUPS = 20
#: The tabs of the page: what the customers of a pair share.
SHARED = {
    "phone": _("Same phone"),
    "email": _("Same e-mail"),
    "credit_code": _("Same credit code"),
    "name": _("Same name"),
}


@view_config(
    route_name="customer_duplicates", renderer=TEMPLATES + "duplicates.jinja2", permission=MERGE
)
def duplicates_page(request: Any) -> dict[str, Any]:
    """Candidate pairs sharing one column, a page of groups at a time."""
    by = request.GET.get("by")
    by = by if by in GROUP_COLUMNS else "phone"
    after = request.GET.get("after", "")[:254] or None
    groups, next_after = duplicate_groups(request, by, scoped(request, MERGE), after, PAGE_GROUPS)
    return {
        "by": by,
        "tabs": SHARED,
        "groups": groups,
        "next_url": request.route_path(
            "customer_duplicates", _query={"by": by, "after": next_after}
        )
        if next_after
        else None,
        "first_page": after is None,
        "breadcrumbs": [
            (request.translate(_("Customers")), request.route_path("customers")),
            (request.translate(_("Duplicates")), None),
        ],
        **display_helpers(request),
    }


@view_config(route_name="customer_duplicates_dismiss", request_method="POST", permission=MERGE)
def dismiss(request: Any) -> HTTPSeeOther:
    """Mark a pair "not a duplicate": it leaves the duplicates page (404 for ids out of scope)."""
    ids = [parse_id(request.POST.get(name)) for name in ("first", "second")]
    if None in ids or ids[0] == ids[1]:
        raise HTTPNotFound()
    found = request.dbsession.scalars(
        select(Customer.id).where(Customer.id.in_(ids), live_customers(), scoped(request, MERGE))
    ).all()
    if len(found) != 2:
        raise HTTPNotFound()
    dismiss_pair(request.dbsession, *ids)
    request.flash(_("The two customers are no longer shown as duplicates."))
    fallback = request.route_path("customer_duplicates")
    return HTTPSeeOther(safe_next(request.POST.get("next"), fallback))


def includeme(config: Any) -> None:
    """The duplicates page and its "not a duplicate" action."""
    config.add_route("customer_duplicates", "/customers/duplicates")
    config.add_route("customer_duplicates_dismiss", "/customers/duplicates/dismiss")
    config.scan("plugins.customers.duplicate_views")
