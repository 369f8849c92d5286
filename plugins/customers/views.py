"""The customer pages: list, detail, create, edit, delete and restore, and the home card."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config
from sqlalchemy import func, select

from core.api.problems import ProblemError
from core.customfields.forms import custom_values, with_custom_fields
from core.db import utcnow
from core.events import emit
from core.security.policy import AUTHENTICATED
from core.security.regions import MUNICIPAL_CITY
from core.security.scopes import RecordContext, in_scope, record_factory
from core.validation import parse_id
from core.web.form_feedback import save_form
from core.web.saved_views import VIEW_PARAM, SavedList, register_list, tabs
from plugins.customers import _, followups
from plugins.customers.bulk_views import bulk_context, undo_offer
from plugins.customers.contacts import primary_contact
from plugins.customers.dictionaries import labels as dictionary_labels
from plugins.customers.duplicates import unconfirmed_duplicates
from plugins.customers.field_rules import (
    CUSTOM,
    editable_factory,
    form_changes,
    hide_sensitive,
    keep_hidden,
    kept,
    lock,
    locked_form_fields,
    masked,
    may_reveal,
    refusal_message,
    refused_changes,
    save_permission,
    validate_sent,
    with_stored,
    writable,
)
from plugins.customers.forms import COLUMNS, SENSITIVE, CustomerForm, form_data
from plugins.customers.listing import (
    COUNT_CAP,
    Options,
    capped_count,
    chips,
    filter_names,
    load_options,
    matching,
    page_of,
    parse_state,
    preload_users,
    shown_columns,
)
from plugins.customers.merge import MERGE
from plugins.customers.models import DICTIONARY_KINDS, KINDS, STATUSES, Customer
from plugins.customers.service import (
    CREATE,
    DELETE,
    EDIT,
    RECORD_TYPE,
    VIEW,
    display_phone,
    live_customers,
    people_in_scope,
    scoped,
    write,
)
from plugins.customers.tag_forms import prepare_tags_field, save_form_tags
from plugins.customers.transfer import TRANSFER

TEMPLATES = "plugins.customers:templates/customers/"
#: Longest search text a customer page reads.
MAX_QUERY = 100
#: The home card counts at most this many customers per status ("1000+").
WIDGET_CAP = 1000
STATUS_BADGES = {
    "potential": "text-bg-info",
    "active": "text-bg-success",
    "at_risk": "text-bg-warning",
    "churned": "text-bg-secondary",
}


def place(customer: Customer, full: bool = False) -> str:
    """Where a customer is: province and city (and district when ``full``)."""
    regions = [customer.province, customer.city] + ([customer.district] if full else [])
    return " · ".join(
        region.name for region in regions if region is not None and region.name != MUNICIPAL_CITY
    )


def display_helpers(request: Any) -> dict[str, Any]:
    """What every customer template uses to show values: labels, badges, phone, place."""
    return {
        "labels": {
            "kind": {key: request.translate(label) for key, label in KINDS.items()},
            **{kind: dictionary_labels(request, kind) for kind in DICTIONARY_KINDS},
            "status": {key: request.translate(label) for key, label in STATUSES.items()},
        },
        "status_badges": STATUS_BADGES,
        "dictionary_kinds": DICTIONARY_KINDS,
        "display_phone": display_phone,
        "place": place,
    }


def may(request: Any, customer: Customer, permission: str) -> bool:
    """Whether ``permission`` reaches this customer (for showing buttons)."""
    identity = request.identity
    return identity.can(permission) and in_scope(
        request.dbsession, identity, request.record_types[RECORD_TYPE], customer.id, permission
    )


#: Keys of the customer page's own tabs, to come back to after working in one.
CONTACTS_TAB = "customers.contacts"
FOLLOWUPS_TAB = "customers.followups"
ORDERS_TAB = "customers.orders"


def customer_page(request: Any, customer_id: int, tab: str | None = None) -> str:
    """The customer's page, opened at ``tab`` (a record tab's key) when given."""
    query = {"tab": tab} if tab else {}
    return request.route_path("customer_detail", id=customer_id, _query=query)


def back_to_customer(request: Any, customer_id: int, tab: str | None = None) -> HTTPSeeOther:
    """Back to the customer's page (at ``tab``, the one the user worked in)."""
    return HTTPSeeOther(customer_page(request, customer_id, tab))


def customer_crumbs(request: Any, customer: Customer, title: str) -> list[tuple[str, str | None]]:
    """Customers › the customer › ``title`` (translated)."""
    return [
        (request.translate(_("Customers")), request.route_path("customers")),
        (customer.name, request.route_path("customer_detail", id=customer.id)),
        (title, None),
    ]


def customer_form_page(
    request: Any, form: Any, customer: Customer, title: Any, **extra: Any
) -> dict[str, Any]:
    """The template data of a form page below a customer (a contact, an order, a plan…)."""
    shown = request.translate(title)
    return {
        "form": form,
        "customer": customer,
        "title": shown,
        "breadcrumbs": customer_crumbs(request, customer, shown),
        **extra,
    }


def deleted_factory(request: Any) -> RecordContext:
    """Route context of a deleted customer within the user's delete scope (else 404)."""
    record_type = request.record_types.get(RECORD_TYPE)
    if record_type is None:
        raise HTTPNotFound()
    customer = find_deleted(request, request.matchdict["id"])
    if customer is None:
        raise HTTPNotFound()
    return RecordContext(customer, record_type)


def find_deleted(request: Any, raw_id: str) -> Customer | None:
    """The deleted customer ``raw_id`` if the user may restore it.

    A customer merged into another one is not restorable: its contacts, follow-ups
    and orders live on the kept customer now.
    """
    customer_id = parse_id(raw_id)
    if customer_id is None or not request.identity or not request.identity.can(DELETE):
        return None
    return request.dbsession.scalars(
        select(Customer).where(
            Customer.id == customer_id,
            Customer.deleted_at.is_not(None),
            Customer.merged_into_id.is_(None),
            scoped(request, DELETE),
        )
    ).first()


# -- list ---------------------------------------------------------------------------

LIST_KEY = "customers"
IMPORT = "customers.customer.import"


def saved_params(request: Any, params: Any) -> dict[str, list[str]]:
    """The list parameters a saved view keeps, checked like the list's own."""
    return parse_state(params, Options(request))


def import_url(request: Any) -> str | None:
    """The import page, when a module offers one (route ``imports``) and the user may import."""
    mapper = request.registry.queryUtility(IRoutesMapper)
    if mapper is None or mapper.get_route("imports") is None:
        return None
    return request.route_path("imports") if request.identity.can(IMPORT) else None


@view_config(route_name="customers", renderer=TEMPLATES + "list.jinja2", permission=VIEW)
def customer_list(request: Any) -> dict[str, Any]:
    """Customers in the user's scope: filtered, sorted, 50 a page, with a capped count."""
    deleted = request.GET.get("deleted") == "1" and request.identity.can(DELETE)
    options = Options(request, deleted)
    state = parse_state(request.GET, options)
    columns = shown_columns(state, options)
    query = matching(options, state)
    sort = {"sort": state["sort"][0]} if "sort" in state else {}
    cursor = request.GET.get("cursor")
    error = None
    try:
        customers, next_cursor = page_of(
            request,
            query.options(*load_options(columns)),
            {**sort, **({"cursor": cursor} if cursor else {})},
        )
    except ProblemError:
        error = _("That page of the list is no longer available; here is the first page.")
        customers, next_cursor = page_of(request, query.options(*load_options(columns)), sort)
        cursor = None
    users = preload_users(request, customers, options, columns)
    views = None if deleted else tabs(request, LIST_KEY, state)
    fixed = {"deleted": ["1"]} if deleted else {}
    if views and views["active"]:
        fixed[VIEW_PARAM] = [str(views["active"].id)]

    def url_with(**changes: Any) -> str:
        """This list's address with some parameters changed (``None`` removes one)."""
        query = {key: value for key, value in {**state, **fixed, **changes}.items() if value}
        return request.route_path("customers", _query=query)

    return {
        "customers": customers,
        "users": users,
        "total": capped_count(request.dbsession, query, COUNT_CAP) if customers else 0,
        "cap": COUNT_CAP,
        "next_url": url_with(cursor=next_cursor) if next_cursor else None,
        "first_page": not cursor,
        "state": state,
        "fixed": fixed,
        "filtered": bool(filter_names(state)),
        "chips": chips(state, options, url_with),
        "url_with": url_with,
        "options": options,
        "columns": columns,
        "definitions": {f"cf_{d.key}": d for d in options.definitions},
        "views": views,
        "deleted": deleted,
        "error": error,
        "undo": find_deleted(request, request.GET.get("undo", "")),
        "undo_bulk": undo_offer(request),
        "bulk": None if deleted else bulk_context(request),
        "import_url": import_url(request),
        "can_create": request.identity.can(CREATE),
        "can_delete": request.identity.can(DELETE),
        "breadcrumbs": [(request.translate(_("Customers")), None)],
        **display_helpers(request),
    }


# -- detail -------------------------------------------------------------------------


@view_config(route_name="customer_detail", renderer=TEMPLATES + "detail.jinja2", permission=VIEW)
def customer_detail(context: RecordContext, request: Any) -> dict[str, Any]:
    """Key properties on the left, the tabs other modules contribute in the middle."""
    customer = context.record
    tabs = [
        tab
        for found in request.hooks.guanxi_record_tabs(
            request=request, record_type=RECORD_TYPE, record=customer
        )
        for tab in found
    ]
    tabs.sort(key=lambda tab: (tab.order, tab.key))
    keys = [tab.key for tab in tabs]
    asked = request.GET.get("tab")
    return {
        "customer": customer,
        "primary_contact": primary_contact(request.dbsession, customer.id),
        "tabs": tabs,
        "active_tab": asked if asked in keys else (keys[0] if keys else None),
        "custom_definitions": request.custom_fields(RECORD_TYPE),
        "can_edit": bool(writable(request, customer)),
        "sensitive": masked(request, customer),
        "can_reveal": may_reveal(request, customer),
        "can_tag": may(request, customer, EDIT),
        "can_delete": may(request, customer, DELETE),
        "can_transfer": may(request, customer, TRANSFER),
        "can_merge": may(request, customer, MERGE),
        "can_log_followup": followups.may(request, customer.id, "create"),
        "breadcrumbs": [
            (request.translate(_("Customers")), request.route_path("customers")),
            (customer.name, None),
        ],
        **display_helpers(request),
    }


# -- create and edit ----------------------------------------------------------------


def bound_form(
    request: Any,
    permission: str,
    customer: Customer | None = None,
    fields: set[str] | None = None,
    *,
    reset: bool = False,
) -> tuple[CustomerForm, list[Any], list[str]]:
    """The customer form with the custom fields, owners the user may choose, and posted data.

    With ``fields`` (those the user may change), the others are read-only: disabled,
    and holding their stored value when not sent (or always, with ``reset``).
    Returns the form, the custom field definitions and the read-only field names.
    """
    definitions = request.custom_fields(RECORD_TYPE)
    owners = people_in_scope(request.dbsession, request.identity, permission)
    if customer is not None and customer.owner not in owners:
        owners.append(customer.owner)
    form_class = with_custom_fields(CustomerForm, definitions, request)
    locked = [] if fields is None else locked_form_fields(definitions, fields)
    post = request.POST if request.method == "POST" else None
    if post is not None and locked:
        stored = form_class(request, None, obj=customer, owners=owners)
        post = with_stored(post, stored, locked, replace=reset)
    if post is not None and customer is not None:
        post = keep_hidden(post, customer)
    form = form_class(request, post, obj=customer, owners=owners)
    if customer is not None:
        form.code.description = _("Leave blank to keep the current code.")
        hide_sensitive(request, form, customer)
    lock(form, locked)
    editable = request.identity.can(EDIT) if fields is None else save_permission(fields) == EDIT
    prepare_tags_field(form, customer, editable)
    return form, definitions, locked  # type: ignore[return-value]


def differing_values(form: CustomerForm, customer: Customer) -> dict[str, str]:
    """Field → the value now saved, for fields where it differs from what the user sent."""
    saved, sent = form_data(customer), form.values()
    result = {}
    for name in COLUMNS:
        if (saved[name] or None) == (sent[name] or None):
            continue
        if name in SENSITIVE:
            result[name] = masked(form.request, customer)[name]
            continue
        choices = dict(getattr(form[name], "choices", None) or [])
        value = choices.get(saved[name], saved[name])
        result[name] = display_phone(value) if name == "phone" else str(value or "—")
    return result


def form_page(request: Any, form: CustomerForm, customer: Customer | None, **extra: Any) -> dict:
    """The template data of the create and edit pages."""
    crumbs = [(request.translate(_("Customers")), request.route_path("customers"))]
    if customer is not None:
        crumbs.append((customer.name, request.route_path("customer_detail", id=customer.id)))
    title = _("Edit") if customer is not None else _("New customer")
    crumbs.append((request.translate(title), None))
    return {"form": form, "customer": customer, "conflicts": {}, "breadcrumbs": crumbs, **extra}


@view_config(route_name="customer_new", renderer=TEMPLATES + "form.jinja2", permission=CREATE)
def customer_new(request: Any) -> Any:
    """Create a customer; the owner defaults to the user."""
    form, definitions, _locked = bound_form(request, CREATE)
    duplicates = None
    if request.method == "GET":
        form.owner_id.data = request.identity.user_id
    elif form.validate() and not (duplicates := unconfirmed_duplicates(request, form.values())):
        customer = Customer(custom={})

        def save() -> None:
            write(request, customer, form.values(), CREATE, custom_values(form, definitions))

        if save_form(request, form, save, customer, validated=True) is not None:
            save_form_tags(request, customer, form, may(request, customer, EDIT))
            emit(request, "customer.created", id=customer.id, code=customer.code)
            request.flash(_("Customer ${name} is created."), name=customer.name)
            return back_to_customer(request, customer.id)
    return form_page(request, form, None, duplicates=duplicates)


@view_config(
    route_name="customer_edit", renderer=TEMPLATES + "form.jinja2", permission=AUTHENTICATED
)
def customer_edit(context: RecordContext, request: Any) -> Any:
    """Edit the fields the user may change; saving over newer changes is refused.

    The route answers 404 unless ``edit`` or ``edit_status`` reaches the customer.
    Fields of the other group are read-only; a post changing one is refused with
    a 403 status, the form shown again with the stored values, and nothing saved.
    """
    customer = context.record
    fields = writable(request, customer)
    form, definitions, locked = bound_form(request, EDIT, customer, fields)
    conflicts: dict[str, str] = {}
    duplicates = None
    if request.method != "POST":
        return form_page(request, form, customer, conflicts=conflicts)
    valid = validate_sent(form, locked, request.POST)
    refused_names = refused_changes(form_changes(form, definitions, request.POST, customer), fields)
    if refused_names:
        message = refusal_message(request, form, refused_names)
        form = bound_form(request, EDIT, customer, fields, reset=True)[0]
        form.form_errors.append(message)
        request.response.status_code = 403
    elif valid and not (
        duplicates := unconfirmed_duplicates(
            request, kept(customer, form.values(), fields), customer
        )
    ):
        custom = custom_values(form, definitions) if CUSTOM in fields else None

        def save() -> None:
            values = kept(customer, form.values(), fields)
            write(request, customer, values, save_permission(fields), custom)

        def show_differences() -> None:
            conflicts.update(differing_values(form, customer))

        saved = save_form(
            request,
            form,
            save,
            customer,
            versioned=True,
            validated=True,
            on_conflict=show_differences,
        )
        if saved is not None:
            save_form_tags(request, customer, form, may(request, customer, EDIT))
            request.flash(_("Customer ${name} is saved."), name=customer.name)
            return back_to_customer(request, customer.id)
    return form_page(request, form, customer, conflicts=conflicts, duplicates=duplicates)


# -- delete and restore -------------------------------------------------------------


@view_config(route_name="customer_delete", request_method="POST", permission=DELETE)
def customer_delete(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Soft-delete: the customer leaves every list and can be restored."""
    customer = context.record
    customer.deleted_at = utcnow()
    request.flash(_("Customer ${name} is deleted."), "warning", name=customer.name)
    return HTTPSeeOther(request.route_path("customers", _query={"undo": customer.id}))


@view_config(route_name="customer_restore", request_method="POST", permission=DELETE)
def customer_restore(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Bring a deleted customer back."""
    customer = context.record
    customer.deleted_at = None
    request.flash(_("Customer ${name} is restored."), name=customer.name)
    return back_to_customer(request, customer.id)


# -- home card ----------------------------------------------------------------------


@view_config(route_name="customers_widget", renderer=TEMPLATES + "widget.jinja2", permission=VIEW)
def customers_widget(request: Any) -> dict[str, Any]:
    """How many customers of each status the user looks after (each count capped)."""
    counts = {}
    for status in STATUSES:
        capped = (
            select(Customer.id)
            .where(Customer.status == status, live_customers(), scoped(request, VIEW))
            .limit(WIDGET_CAP + 1)
            .subquery()
        )
        counts[status] = request.dbsession.scalar(select(func.count()).select_from(capped)) or 0
    return {"counts": counts, "cap": WIDGET_CAP, **display_helpers(request)}


def includeme(config: Any) -> None:
    """The routes of the customer pages; record routes load within the action's scope."""
    record = r"/customers/{id:\d+}"
    config.add_route("customers", "/customers")
    config.add_route("customer_new", "/customers/new")
    config.add_route("customers_widget", "/customers/widgets/mine")
    config.add_route("customer_detail", record, factory=record_factory(RECORD_TYPE, "view"))
    config.add_route("customer_edit", record + "/edit", factory=editable_factory)
    config.add_route(
        "customer_delete", record + "/delete", factory=record_factory(RECORD_TYPE, "delete")
    )
    config.add_route("customer_restore", record + "/restore", factory=deleted_factory)
    register_list(config, SavedList(LIST_KEY, "customers", VIEW, saved_params))
    config.scan("plugins.customers.views")
