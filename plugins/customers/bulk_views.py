"""The customer list's bulk actions: run one on a selection, and undo a bulk delete.

The selection is either the posted row ids or, with ``all=1``, every customer
matching the posted list parameters; both are read within the user's view
scope and then within the scope of the action's permission
(:func:`plugins.customers.bulk.targets`), so hand-posted ids of other
people's customers are never touched.  Destructive actions first answer with
a confirmation page giving the count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.renderers import render
from pyramid.view import view_config
from sqlalchemy import Select, func, select
from webob.multidict import MultiDict

from core.validation import parse_id
from core.web.saved_views import VIEW_PARAM
from plugins.customers import _
from plugins.customers.bulk import (
    UNDO_PARAM,
    BulkAction,
    BulkRefused,
    BulkResult,
    actions_for,
    deleted_together,
    find_action,
    known_action,
    targets,
    undo,
)
from plugins.customers.listing import Options, capped_count, matching, parse_state
from plugins.customers.models import Customer
from plugins.customers.service import DELETE, VIEW, live_customers, scoped

TEMPLATES = "plugins.customers:templates/customers/"
#: Most row ids read from one post (a page has 50 rows).
MAX_IDS = 1000


def field_prefix(action: BulkAction) -> str:
    """The prefix of the names of ``action``'s form fields."""
    return f"{action.key}."


def _fields(request: Any, action: BulkAction) -> Markup:
    if action.template is None:
        return Markup("")
    extra = action.context(request) if action.context else {}
    values = {"action": action, "prefix": field_prefix(action), **extra}
    return Markup(render(action.template, values, request=request))  # noqa: S704 (a template)


def bulk_context(request: Any) -> dict[str, Any] | None:
    """The bulk bar of the list: the actions the user may run with their rendered fields."""
    actions = actions_for(request)
    if not actions:
        return None
    return {
        "url": request.route_path("customers_bulk"),
        "actions": [{"action": action, "fields": _fields(request, action)} for action in actions],
    }


def selection(request: Any) -> Select:
    """Ids of the live customers selected in the post, within the user's view scope."""
    post = request.POST
    if post.get("all") == "1":
        options = Options(request)
        return matching(options, parse_state(post, options)).with_only_columns(Customer.id)
    ids = {parse_id(raw) for raw in post.getall("id")[:MAX_IDS]} - {None}
    return select(Customer.id).where(
        Customer.id.in_(sorted(ids)), live_customers(), scoped(request, VIEW)
    )


def count(request: Any, ids: Select) -> int:
    """How many rows ``ids`` has."""
    return request.dbsession.scalar(select(func.count()).select_from(ids.subquery())) or 0


def list_address(request: Any, **extra: str) -> str:
    """The list as the user left it (the posted list parameters), with ``extra`` ones."""
    query: dict[str, Any] = dict(parse_state(request.POST, Options(request)))
    view = parse_id(request.POST.get(VIEW_PARAM, ""))
    if view is not None:
        query[VIEW_PARAM] = str(view)
    return request.route_path("customers", _query={**query, **extra})


@view_config(
    route_name="customers_bulk",
    request_method="POST",
    permission=VIEW,
    renderer=TEMPLATES + "list_bulk_confirm.jinja2",
)
def run_bulk(request: Any) -> Any:
    """Run the chosen action on the selected customers that its permission reaches."""
    key = request.POST.get("action", "")
    action = find_action(request, key)
    if action is None:
        if known_action(key) is not None:
            raise HTTPForbidden()
        request.flash(_("Choose an action."), "danger")
        return HTTPSeeOther(list_address(request))
    chosen = selection(request)
    ids = targets(request, chosen, action.permission)
    reachable, selected = count(request, ids), count(request, chosen)
    if not reachable:
        request.flash(_("You may not do this with any of the selected customers."), "danger")
        return HTTPSeeOther(list_address(request))
    if action.confirm is not None and request.POST.get("confirmed") != "1":
        return {
            "action": action,
            "count": reachable,
            "skipped": selected - reachable,
            "posted": [(k, v) for k, v in request.POST.items() if k != "csrf_token"],
            "back": list_address(request),
            "breadcrumbs": [
                (request.translate(_("Customers")), request.route_path("customers")),
                (request.translate(action.label), None),
            ],
        }
    prefix = field_prefix(action)
    params = MultiDict(
        (name[len(prefix) :], value)
        for name, value in request.POST.items()
        if name.startswith(prefix)
    )
    try:
        with request.dbsession.begin_nested():
            result = action.apply(request, ids, params)
    except BulkRefused as refused:
        request.flash(refused.message, "danger")
        return HTTPSeeOther(list_address(request))
    if not isinstance(result, BulkResult):
        result = BulkResult(result)
    request.flash(
        _("${action}: customers changed: ${count}."),
        action=request.translate(action.label),
        count=result.count,
    )
    if selected > reachable:
        request.flash(
            _("Not yours to change, so left as they were: ${count}."),
            "warning",
            count=selected - reachable,
        )
    return HTTPSeeOther(list_address(request, **result.follow_up))


def parse_stamp(raw: str) -> dt.datetime | None:
    """The time of a bulk delete from the list address, or None."""
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo else None


def undo_offer(request: Any) -> dict[str, Any] | None:
    """The "N customers deleted — undo" offer after a bulk delete, if there is one."""
    at = parse_stamp(request.GET.get(UNDO_PARAM, ""))
    if at is None or not request.identity.can(DELETE):
        return None
    found = capped_count(request.dbsession, deleted_together(request, at))
    return {"at": at.isoformat(), "count": found} if found else None


@view_config(route_name="customers_bulk_undo", request_method="POST", permission=DELETE)
def undo_bulk_delete(request: Any) -> HTTPSeeOther:
    """Restore the customers of one of the user's bulk deletes."""
    at = parse_stamp(request.POST.get("at", ""))
    restored = undo(request, at) if at is not None else 0
    request.flash(_("Customers restored: ${count}."), count=restored)
    return HTTPSeeOther(request.route_path("customers"))


def includeme(config: Any) -> None:
    """The bulk routes."""
    config.add_route("customers_bulk", "/customers/bulk")
    config.add_route("customers_bulk_undo", "/customers/bulk/undo")
    config.scan("plugins.customers.bulk_views")
