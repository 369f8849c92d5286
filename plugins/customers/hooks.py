"""The customers module's contributions to the core: permissions, menu, search, API …"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core import hookimpl
from core.contributions import (
    ApiResource,
    DashboardWidget,
    MenuItem,
    PeriodicJob,
    Permission,
    RecordTab,
    RecordType,
    ScopeColumns,
    SearchResult,
    TabularType,
    TimelineEntry,
)
from plugins.customers import (  # noqa: F401 (tables)
    _,
    churn_models,
    followup_models,
    order_models,
    search_index,
)
from plugins.customers.churn import CONFIGURE as CHURN_CONFIGURE
from plugins.customers.churn import has_churn_events
from plugins.customers.churn_jobs import periodic_jobs as churn_jobs
from plugins.customers.churn_views import timeline_entries as churn_timeline
from plugins.customers.contacts import (
    CONTACT_CREATE,
    CONTACT_DELETE,
    CONTACT_EDIT,
    CONTACT_VIEW,
    contact_scope,
    live_contacts,
    may_contacts,
)
from plugins.customers.contacts import PREFIX as CONTACT_PREFIX
from plugins.customers.contacts import RECORD_TYPE as CONTACT
from plugins.customers.demo import load_demo_customers
from plugins.customers.dictionaries import MANAGE as DICTIONARY_MANAGE
from plugins.customers.field_rules import VIEW_SENSITIVE
from plugins.customers.followup_openapi import FOLLOWUP_PATHS, FOLLOWUP_SCHEMAS
from plugins.customers.followups import CREATE as FOLLOWUP_CREATE
from plugins.customers.followups import DELETE as FOLLOWUP_DELETE
from plugins.customers.followups import EDIT as FOLLOWUP_EDIT
from plugins.customers.followups import VIEW as FOLLOWUP_VIEW
from plugins.customers.followups import may as followups_visible
from plugins.customers.followups import timeline as followup_timeline
from plugins.customers.forms import SENSITIVE
from plugins.customers.history import CONTACT_LABELS, CUSTOMER_LABELS, DESCRIBERS, describer
from plugins.customers.merge import MERGE
from plugins.customers.merge_views import merged_tab
from plugins.customers.models import Contact, Customer
from plugins.customers.openapi import PATHS, SCHEMAS
from plugins.customers.order_hooks import (
    ORDER_GRANTS,
    order_menu_item,
    order_permissions,
    order_record_types,
    order_tab,
    order_timeline,
    sales_connector,
)
from plugins.customers.order_openapi import ORDER_PATHS, ORDER_SCHEMAS
from plugins.customers.purge import PURGE
from plugins.customers.reminders import periodic_jobs as followup_jobs
from plugins.customers.service import (
    CREATE,
    DELETE,
    EDIT,
    EDIT_STATUS,
    PREFIX,
    RECORD_TYPE,
    VIEW,
    display_phone,
    live_customers,
    scoped,
)
from plugins.customers.tabular import TABULAR_GRANTS, TYPES, tabular_permissions
from plugins.customers.tag_openapi import TAG_PATHS, TAG_SCHEMAS
from plugins.customers.tags import MANAGE as TAG_MANAGE
from plugins.customers.transfer import TRANSFER
from plugins.customers.views import CONTACTS_TAB, FOLLOWUPS_TAB


@hookimpl
def guanxi_permissions() -> list[Permission]:
    """What users may do with customers; each is granted with a data scope."""
    group = _("Customers")
    return [
        Permission(VIEW, _("View customers"), group),
        Permission(CREATE, _("Create customers"), group),
        Permission(EDIT, _("Edit customers"), group),
        Permission(EDIT_STATUS, _("Change the status of customers"), group),
        Permission(DELETE, _("Delete and restore customers"), group),
        Permission(VIEW_SENSITIVE, _("Reveal ID numbers and bank accounts"), group),
        Permission(
            DICTIONARY_MANAGE,
            _("Edit customer levels, industries, sizes, sources and the code pattern"),
            group,
            scoped=False,
        ),
        Permission(CONTACT_VIEW, _("View contacts"), _("Contacts")),
        Permission(CONTACT_CREATE, _("Add contacts"), _("Contacts")),
        Permission(CONTACT_EDIT, _("Edit contacts"), _("Contacts")),
        Permission(CONTACT_DELETE, _("Delete contacts"), _("Contacts")),
        Permission(FOLLOWUP_VIEW, _("View follow-ups"), _("Follow-ups")),
        Permission(FOLLOWUP_CREATE, _("Log follow-ups"), _("Follow-ups")),
        Permission(FOLLOWUP_EDIT, _("Edit and cancel follow-ups"), _("Follow-ups")),
        Permission(FOLLOWUP_DELETE, _("Delete follow-ups"), _("Follow-ups")),
        Permission(TAG_MANAGE, _("Create, change and delete tags"), _("Tags"), scoped=False),
        Permission(CHURN_CONFIGURE, _("Set the churn rules"), group, scoped=False),
        Permission(TRANSFER, _("Transfer customers to another owner"), group),
        Permission(MERGE, _("Merge duplicate customers"), group),
        Permission(PURGE, _("Purge deleted customers for good"), group),
        *order_permissions(),
        *tabular_permissions(),
    ]


@hookimpl
def guanxi_default_grants() -> dict[str, dict[str, str]]:
    """Managers look after their team, representatives their own customers, others read.

    Service agents may change the status of any customer but not its other fields.
    """
    grants = {
        "sales_manager": {
            VIEW: "team",
            CREATE: "team",
            EDIT: "team",
            EDIT_STATUS: "team",
            DELETE: "team",
            CONTACT_VIEW: "team",
            CONTACT_CREATE: "team",
            CONTACT_EDIT: "team",
            CONTACT_DELETE: "team",
            FOLLOWUP_VIEW: "team",
            FOLLOWUP_CREATE: "team",
            FOLLOWUP_EDIT: "team",
            FOLLOWUP_DELETE: "team",
            TAG_MANAGE: "all",
        },
        "sales_rep": {
            VIEW: "own",
            CREATE: "own",
            EDIT: "own",
            EDIT_STATUS: "own",
            CONTACT_VIEW: "own",
            CONTACT_CREATE: "own",
            CONTACT_EDIT: "own",
            FOLLOWUP_VIEW: "own",
            FOLLOWUP_CREATE: "own",
            FOLLOWUP_EDIT: "own",
        },
        "service_agent": {
            VIEW: "region",
            EDIT_STATUS: "region",
            CONTACT_VIEW: "region",
            FOLLOWUP_VIEW: "region",
            FOLLOWUP_CREATE: "region",
        },
        "analyst": {VIEW: "all", CONTACT_VIEW: "all", FOLLOWUP_VIEW: "all"},
    }
    return {
        role: {**given, **ORDER_GRANTS.get(role, {}), **TABULAR_GRANTS.get(role, {})}
        for role, given in grants.items()
    }


@hookimpl
def guanxi_menu_items(request: Any) -> list[MenuItem]:
    """The customer list in the side menu, and Settings → Tags."""
    return [
        MenuItem(
            "customers", _("Customers"), "customers", icon="building", order=10, permission=VIEW
        ),
        MenuItem(
            "customers.my_followups",
            _("My follow-ups"),
            "my_followups",
            icon="calendar-event",
            order=11,
            permission=FOLLOWUP_VIEW,
        ),
        MenuItem("customers.churn", _("Churn"), "customers_churn", "flame", 12, VIEW),
        order_menu_item(),
        MenuItem(
            "settings.customer_duplicates",
            _("Duplicate customers"),
            "customer_duplicates",
            icon="git-merge",
            order=43,
            permission=MERGE,
            section="settings",
        ),
        MenuItem(
            "settings.churn",
            _("Churn rules"),
            "settings_churn",
            icon="flame",
            order=42,
            permission=CHURN_CONFIGURE,
            section="settings",
        ),
        MenuItem(
            "settings.tags",
            _("Tags"),
            "settings_tags",
            icon="tag",
            order=40,
            permission=TAG_MANAGE,
            section="settings",
        ),
        MenuItem(
            "settings.customer_dictionaries",
            _("Customer choice lists"),
            "customer_dictionaries",
            icon="list",
            order=38,
            permission=DICTIONARY_MANAGE,
            section="settings",
        ),
    ]


@hookimpl
def guanxi_record_types() -> list[RecordType]:
    """Customers: owned by a user, in the owner's team, located by province/city/district."""
    return [
        RecordType(
            name=RECORD_TYPE,
            label=_("Customer"),
            model=Customer,
            scope=ScopeColumns(
                owner="owner_id",
                team="team_id",
                regions=("province_code", "city_code", "district_code"),
            ),
            extensible=True,
            detail_route="customer_detail",
            permission_prefix=PREFIX,
            sensitive=SENSITIVE,
            title=lambda customer: customer.name,
            field_labels=CUSTOMER_LABELS,
            describe=describer(DESCRIBERS),
        ),
        # Contacts carry no scope columns: they are reached through their customer
        # (plugins.customers.contacts.contact_scope), so the generic scope reaches
        # them only for "all" grants.
        RecordType(
            name=CONTACT,
            label=_("Contact"),
            model=Contact,
            scope=ScopeColumns(),
            extensible=True,
            permission_prefix=CONTACT_PREFIX,
            title=lambda contact: contact.name,
            field_labels=CONTACT_LABELS,
            describe=describer(DESCRIBERS),
        ),
        *order_record_types(),
    ]


@hookimpl
def guanxi_record_tabs(request: Any, record_type: str, record: Any) -> list[RecordTab]:
    """Overview (the timeline) first on the customer page, then Contacts and Follow-ups,
    and Churn history once there is one (each for those who may see it)."""
    if record_type != RECORD_TYPE:
        return []
    url = request.route_path("record_timeline", record_type=RECORD_TYPE, id=record.id)
    tabs = [RecordTab("customers.overview", _("Overview"), url, order=0, icon="timeline-event")]
    if may_contacts(request, record, CONTACT_VIEW):
        url = request.route_path("customer_contacts", id=record.id)
        tabs.append(RecordTab(CONTACTS_TAB, _("Contacts"), url, order=10, icon="address-book"))
    tabs += order_tab(request, record)
    if has_churn_events(request.dbsession, record.id):
        url = request.route_path("customer_churn_history", id=record.id)
        tabs.append(RecordTab("customers.churn", _("Churn history"), url, order=40, icon="flame"))
    if followups_visible(request, record.id, "view"):
        url = request.route_path("customer_followups", id=record.id)
        tabs.append(RecordTab(FOLLOWUPS_TAB, _("Follow-ups"), url, order=20, icon="message-circle"))
    tabs += merged_tab(request, record)
    return tabs


@hookimpl
def guanxi_timeline_entries(
    request: Any, record_type: str, record: Any, before: Any, limit: int
) -> list[TimelineEntry]:
    """A customer's done follow-ups (when they happened) and planned ones (when due)."""
    if record_type != RECORD_TYPE:
        return []
    churn = churn_timeline(request, record, before, limit)
    orders = order_timeline(request, record, before, limit)
    return followup_timeline(request, record, before, limit) + churn + orders


@hookimpl(trylast=True)
def guanxi_sales_connector(request: Any) -> Any:
    """The built-in connector (orders stored here); any connector plugin answers first."""
    return sales_connector(request)


@hookimpl
def guanxi_periodic_jobs() -> list[PeriodicJob]:
    """Follow-up plans that come due, and reminders before planned follow-ups."""
    return followup_jobs() + churn_jobs()


@hookimpl
def guanxi_search(request: Any, query: str, limit: int) -> list[SearchResult]:
    """Customers and contacts in scope found by the query (see ``search_index``).

    Customers come first; contacts (linking to their customer's page, which opens
    on the Contacts tab) get at least half the places when both have more.
    """
    identity = request.identity
    if identity is None or not identity.can(VIEW):
        return []
    session = request.dbsession
    customers = list(
        session.scalars(
            select(Customer)
            .where(search_index.own_filter(session, query), live_customers(), scoped(request, VIEW))
            .order_by(Customer.name, Customer.id)
            .limit(limit)
        )
    )
    contacts = []
    if identity.can(CONTACT_VIEW):
        contacts = list(
            session.execute(
                select(Contact, Customer.name)
                .join(Customer, Customer.id == Contact.customer_id)
                .where(
                    search_index.contact_search_filter(session, query),
                    live_contacts(),
                    contact_scope(request, CONTACT_VIEW),
                )
                .order_by(Contact.name, Contact.id)
                .limit(limit)
            )
        )
    shown = min(len(contacts), max(limit - len(customers), limit // 2))
    return [
        SearchResult(
            label=customer.name,
            url=request.route_path("customer_detail", id=customer.id),
            kind=_("Customer"),
            detail=" · ".join(filter(None, [customer.code, display_phone(customer.phone)])),
        )
        for customer in customers[: limit - shown]
    ] + [
        SearchResult(
            label=contact.name,
            url=request.route_path("customer_detail", id=contact.customer_id),
            kind=_("Contact"),
            detail=" · ".join(filter(None, [customer_name, display_phone(contact.mobile)])),
        )
        for contact, customer_name in contacts[:shown]
    ]


@hookimpl
def guanxi_search_rebuilders() -> dict[str, Any]:
    """``guanxi reindex customers`` and ``guanxi reindex contacts``."""
    return dict(search_index.REBUILDERS)


@hookimpl
def guanxi_dashboard_widgets(request: Any) -> list[DashboardWidget]:
    """Cards counting the user's customers by status and their follow-ups coming due."""
    identity = request.identity
    widgets = []
    if identity is not None and identity.can(VIEW):
        url = request.route_path("customers_widget")
        widgets.append(DashboardWidget("customers.mine", _("My customers"), url, order=10))
    if identity is not None and identity.can(FOLLOWUP_VIEW):
        url = request.route_path("followups_widget")
        widgets.append(DashboardWidget("customers.followups", _("Follow-ups due"), url, order=20))
    return widgets


@hookimpl
def guanxi_api_resources() -> list[ApiResource]:
    """``/customers``, ``/customers/{id}`` and their contacts in the OpenAPI document."""
    return [
        ApiResource(name="customers", paths=PATHS, schemas=SCHEMAS),
        ApiResource(name="tags", paths=TAG_PATHS, schemas=TAG_SCHEMAS),
        ApiResource(name="follow-ups", paths=FOLLOWUP_PATHS, schemas=FOLLOWUP_SCHEMAS),
        ApiResource(name="orders", paths=ORDER_PATHS, schemas=ORDER_SCHEMAS),
    ]


@hookimpl
def guanxi_tabular_types() -> list[TabularType]:
    """Customers, contacts, follow-ups, orders and contracts: imported and exported."""
    return TYPES


@hookimpl
def guanxi_demo_data(session: Any, users: dict[str, Any], locale: str) -> None:
    """About 200 customers across provinces with a year of history (see ``demo``)."""
    load_demo_customers(session, users, locale)


@hookimpl
def guanxi_generate_data(session: Any, plan: Any) -> None:
    """Customers with contacts, follow-ups, orders, tags and search entries, at scale."""
    from plugins.customers.generate import generate_customers

    generate_customers(session, plan)


@hookimpl
def guanxi_bench_scenarios() -> list[Any]:
    """The list (filters, sorts, deep page), search, the customer page, create and update."""
    from plugins.customers.bench import scenarios

    return scenarios()
