"""The merge page: pick the customer to fold in, compare side by side, choose, merge.

``/customers/{id}/merge`` keeps customer ``{id}``; without ``?other=`` it helps
to find the other customer (likely duplicates first, then a search), with it it
shows every differing field with a choice of value.  Both customers load within
the merge scope (404 otherwise); the form carries both versions, so a merge over
a change made meanwhile is refused and changes nothing.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from core.audit import AuditEvent
from core.audit_views import BAD_CURSOR, Presenter, encode_cursor, fetch_page, read_cursor
from core.contributions import RecordTab
from core.security.scopes import RecordContext, get_in_scope, record_factory
from core.security.service_errors import ConflictError, Refused
from core.validation import parse_id
from core.web.form_feedback import conflict_message
from plugins.customers import _
from plugins.customers.duplicates import find_duplicates
from plugins.customers.field_rules import masked
from plugins.customers.merge import (
    AUDIT_TYPE,
    CUSTOM_PREFIX,
    KEPT,
    MERGE,
    OTHER,
    Difference,
    differences,
    merge_customers,
    merged_ids,
)
from plugins.customers.models import Customer
from plugins.customers.purge import child_counts
from plugins.customers.service import (
    RECORD_TYPE,
    VIEW,
    display_phone,
    live_customers,
    scoped,
    text_match,
)
from plugins.customers.views import (
    MAX_QUERY,
    TEMPLATES,
    back_to_customer,
    customer_crumbs,
    display_helpers,
    place,
)

#: Customers offered by the search of the "merge with…" page.
SEARCH_LIMIT = 20


def shown(
    request: Any, labels: dict[str, Any], difference: Difference, customer: Customer, value: Any
) -> str:
    """A value of a differing field as the page shows it (sensitive ones masked).

    ``labels`` are the labels of coded values by field (see ``display_helpers``).
    """
    key = difference.key
    if key.startswith(CUSTOM_PREFIX):
        return request.custom_display(difference.label, value) or "—"
    if key == "owner":
        return customer.owner.name
    if key == "location":
        return place(customer, True) or "—"
    (raw,) = value
    if raw in (None, ""):
        return "—"
    if difference.sensitive:
        return masked(request, customer)[key]
    if key in labels:
        return labels[key].get(raw, raw)
    if key == "phone":
        return display_phone(raw)
    return str(raw)


def field_label(request: Any, difference: Difference) -> str:
    """The label of a differing field (a custom field's in the user's language)."""
    if difference.key.startswith(CUSTOM_PREFIX):
        return difference.label.label_for(request.locale_name)
    return request.translate(difference.label)


def comparison(request: Any, kept: Customer, other: Customer) -> list[dict[str, Any]]:
    """The rows of the side-by-side table: label, both values shown, the chosen side."""
    labels = display_helpers(request)["labels"]
    rows = []
    for difference in differences(kept, other, list(request.custom_fields(RECORD_TYPE))):
        pick = request.POST.get(f"pick:{difference.key}") if request.method == "POST" else None
        rows.append(
            {
                "key": difference.key,
                "label": field_label(request, difference),
                "kept": shown(request, labels, difference, kept, difference.kept),
                "other": shown(request, labels, difference, other, difference.other),
                "pick": pick if pick in (KEPT, OTHER) else KEPT,
            }
        )
    return rows


def candidates(request: Any, kept: Customer, query: str) -> list[Customer]:
    """Customers to merge into ``kept``: likely duplicates, or those the search finds."""
    if not query:
        values = {name: getattr(kept, name) for name in ("name", "phone", "email", "credit_code")}
        return find_duplicates(request, values, exclude_id=kept.id, permission=MERGE).visible
    return list(
        request.dbsession.scalars(
            select(Customer)
            .where(
                text_match(query),
                live_customers(),
                scoped(request, MERGE),
                Customer.id != kept.id,
            )
            .order_by(Customer.name, Customer.id)
            .limit(SEARCH_LIMIT)
        )
    )


def crumbs(request: Any, kept: Customer) -> list[tuple[str, str | None]]:
    """Customers › the kept customer › Merge."""
    return customer_crumbs(request, kept, request.translate(_("Merge")))


def pick_page(request: Any, kept: Customer) -> dict[str, Any]:
    """Choose the customer to fold into ``kept``."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    request.override_renderer = TEMPLATES + "merge_pick.jinja2"
    return {
        "kept": kept,
        "q": query,
        "candidates": candidates(request, kept, query),
        "breadcrumbs": crumbs(request, kept),
        **display_helpers(request),
    }


@view_config(route_name="customer_merge", renderer=TEMPLATES + "merge.jinja2", permission=MERGE)
def merge_page(context: RecordContext, request: Any) -> Any:
    """Compare ``{id}`` with ``?other=`` field by field and merge on POST."""
    kept = context.record
    raw_other = request.params.get("other")
    if raw_other is None:
        return pick_page(request, kept)
    other = get_in_scope(request, context.record_type, raw_other, MERGE)
    if other.id == kept.id:
        raise HTTPNotFound()
    errors: list[str] = []
    if request.method == "POST":
        picks = {
            key.removeprefix("pick:"): value
            for key, value in request.POST.items()
            if key.startswith("pick:")
        }
        versions = (
            parse_id(request.POST.get("kept_version")) or 0,
            parse_id(request.POST.get("other_version")) or 0,
        )
        try:
            counts = merge_customers(request, kept, other, picks, versions)
        except ConflictError as conflict:
            errors.append(conflict_message(request, conflict.record))
            request.response.status_code = 409
        except Refused as refused:
            errors.extend(request.translate(message) for message in refused.messages())
        else:
            request.flash(
                _("${other} was merged into ${kept}; ${count} related records moved."),
                other=other.name,
                kept=kept.name,
                count=sum(counts.values()),
            )
            return back_to_customer(request, kept.id)
    return {
        "kept": kept,
        "other": other,
        "rows": comparison(request, kept, other),
        "counts": {
            kept.id: child_counts(request.dbsession, kept.id),
            other.id: child_counts(request.dbsession, other.id),
        },
        "errors": errors,
        "breadcrumbs": crumbs(request, kept),
        **display_helpers(request),
    }


# -- the history of the customers merged into one -----------------------------------


def merged_tab(request: Any, customer: Customer) -> list[RecordTab]:
    """The "Merged customers" tab of a customer others were merged into (else none)."""
    if not merged_ids(request.dbsession, customer.id):
        return []
    url = request.route_path("customer_merged_history", id=customer.id)
    label = _("Merged customers")
    return [RecordTab("customers.merged", label, url, order=890, icon="git-merge")]


@view_config(
    route_name="customer_merged_history",
    renderer=TEMPLATES + "merged_history.jinja2",
    permission=VIEW,
)
def merged_history(context: RecordContext, request: Any) -> dict[str, Any]:
    """The customers merged into this one and their audit trail, newest events first."""
    customer = context.record
    session = request.dbsession
    ids = merged_ids(session, customer.id)
    cursor, bad_cursor = read_cursor(request)
    rows: list[Any] = []
    next_cursor = None
    merged: list[Customer] = []
    if ids:
        merged = list(session.scalars(select(Customer).where(Customer.id.in_(ids))))
        clauses = [
            AuditEvent.record_type == AUDIT_TYPE,
            AuditEvent.record_id.in_([str(i) for i in ids]),
        ]
        rows, next_cursor = fetch_page(session, clauses, cursor)
    url = request.route_path("customer_merged_history", id=customer.id)
    presenter = Presenter(request)
    return {
        "customer": customer,
        "merged": sorted(merged, key=lambda c: ids.index(c.id)),
        "events": [presenter.event(row) for row in rows],
        "url": url,
        "older_url": request.route_path(
            "customer_merged_history",
            id=customer.id,
            _query={"before": encode_cursor(*next_cursor)},
        )
        if next_cursor
        else None,
        "newest_url": url if cursor else None,
        "bad_cursor": BAD_CURSOR if bad_cursor else None,
    }


def includeme(config: Any) -> None:
    """The merge page of a customer (kept, within the merge scope) and its merged history."""
    config.add_route(
        "customer_merge",
        r"/customers/{id:\d+}/merge",
        factory=record_factory(RECORD_TYPE, "merge"),
    )
    config.add_route(
        "customer_merged_history",
        r"/customers/{id:\d+}/merged",
        factory=record_factory(RECORD_TYPE, "view"),
    )
    config.scan("plugins.customers.merge_views")
