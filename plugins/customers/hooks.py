"""The customers module's contributions to the core: permissions, menu, search, API …"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core import hookimpl
from core.contributions import (
    ApiResource,
    DashboardWidget,
    MenuItem,
    Permission,
    RecordTab,
    RecordType,
    ScopeColumns,
    SearchResult,
)
from plugins.customers import _, churn_models, followup_models, order_models  # noqa: F401 (tables)
from plugins.customers.contacts import RECORD_TYPE as CONTACT
from plugins.customers.demo import load_demo_customers
from plugins.customers.models import Contact, Customer
from plugins.customers.openapi import PATHS, SCHEMAS
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
    text_match,
)


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
    ]


@hookimpl
def guanxi_default_grants() -> dict[str, dict[str, str]]:
    """Managers look after their team, representatives their own customers, others read.

    Service agents may change the status of any customer but not its other fields.
    """
    return {
        "sales_manager": {
            VIEW: "team",
            CREATE: "team",
            EDIT: "team",
            EDIT_STATUS: "team",
            DELETE: "team",
        },
        "sales_rep": {VIEW: "own", CREATE: "own", EDIT: "own", EDIT_STATUS: "own"},
        "service_agent": {VIEW: "all", EDIT_STATUS: "all"},
        "analyst": {VIEW: "all"},
    }


@hookimpl
def guanxi_menu_items(request: Any) -> list[MenuItem]:
    """The customer list in the side menu."""
    return [
        MenuItem(
            "customers", _("Customers"), "customers", icon="building", order=10, permission=VIEW
        )
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
            title=lambda customer: customer.name,
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
            permission_prefix=PREFIX,
            title=lambda contact: contact.name,
        ),
    ]


@hookimpl
def guanxi_record_tabs(request: Any, record_type: str, record: Any) -> list[RecordTab]:
    """The Contacts tab, first on the customer page."""
    if record_type != RECORD_TYPE:
        return []
    url = request.route_path("customer_contacts", id=record.id)
    return [RecordTab("customers.contacts", _("Contacts"), url, order=10, icon="address-book")]


@hookimpl
def guanxi_search(request: Any, query: str, limit: int) -> list[SearchResult]:
    """Customers in scope whose name, code or phone starts with the query."""
    if request.identity is None or not request.identity.can(VIEW):
        return []
    customers = request.dbsession.scalars(
        select(Customer)
        .where(text_match(query), live_customers(), scoped(request, VIEW))
        .order_by(Customer.name, Customer.id)
        .limit(limit)
    )
    return [
        SearchResult(
            label=customer.name,
            url=request.route_path("customer_detail", id=customer.id),
            kind=_("Customer"),
            detail=" · ".join(filter(None, [customer.code, display_phone(customer.phone)])),
        )
        for customer in customers
    ]


@hookimpl
def guanxi_dashboard_widgets(request: Any) -> list[DashboardWidget]:
    """A card counting the user's customers by status."""
    if request.identity is None or not request.identity.can(VIEW):
        return []
    return [
        DashboardWidget(
            key="customers.mine",
            label=_("My customers"),
            url=request.route_path("customers_widget"),
            order=10,
        )
    ]


@hookimpl
def guanxi_api_resources() -> list[ApiResource]:
    """``/customers``, ``/customers/{id}`` and their contacts in the OpenAPI document."""
    return [ApiResource(name="customers", paths=PATHS, schemas=SCHEMAS)]


@hookimpl
def guanxi_demo_data(session: Any, users: dict[str, Any]) -> None:
    """About forty customers in Shanghai, Jiangsu and Guangdong for the demo users."""
    load_demo_customers(session, users)
