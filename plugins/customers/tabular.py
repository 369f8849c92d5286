"""What the customers module offers the core's import and export: five record types.

Customers, contacts, follow-ups, orders and contracts, each with an importer and
an exporter.  Contracts share the order permissions, as they do everywhere else.

Default grants: managers import and export their team's records; representatives
import their own (entering customers from spreadsheets is their daily work) but
do not export (a representative leaving with the customer list is the classic
CRM leak; their manager exports for them); analysts export everything they read
and import nothing; service agents neither.  Administrators hold every permission.
"""

from __future__ import annotations

from core.contributions import Permission, TabularType
from plugins.customers import _
from plugins.customers.contact_tabular import (
    CONTACT_EXPORT,
    CONTACT_IMPORT,
    ContactExporter,
    ContactImporter,
)
from plugins.customers.customer_export import EXPORT, CustomerExporter
from plugins.customers.customer_import import IMPORT, CustomerImporter
from plugins.customers.followup_tabular import (
    FOLLOWUP_EXPORT,
    FOLLOWUP_IMPORT,
    FollowUpExporter,
    FollowUpImporter,
)
from plugins.customers.order_tabular import (
    ORDER_EXPORT,
    ORDER_IMPORT,
    ContractExporter,
    ContractImporter,
    OrderExporter,
    OrderImporter,
)

TYPES = [
    TabularType(
        "customers",
        _("Customers"),
        "customers.customer",
        CustomerImporter,
        CustomerExporter,
        match_keys=("code", "credit_code", "phone", "email"),
        list_route="customers",
        order=10,
    ),
    TabularType(
        "contacts",
        _("Contacts"),
        "customers.contact",
        ContactImporter,
        ContactExporter,
        match_keys=("mobile", "email"),
        order=20,
    ),
    TabularType(
        "follow-ups",
        _("Follow-ups"),
        "customers.follow_up",
        FollowUpImporter,
        FollowUpExporter,
        order=30,
    ),
    TabularType(
        "orders",
        _("Orders"),
        "customers.order",
        OrderImporter,
        OrderExporter,
        match_keys=("number",),
        list_route="orders",
        order=40,
    ),
    TabularType(
        "contracts",
        _("Contracts"),
        "customers.order",
        ContractImporter,
        ContractExporter,
        match_keys=("number",),
        order=50,
    ),
]


def tabular_permissions() -> list[Permission]:
    """Importing and exporting each kind of record (scoped like viewing it)."""
    return [
        Permission(IMPORT, _("Import customers"), _("Customers")),
        Permission(EXPORT, _("Export customers"), _("Customers")),
        Permission(CONTACT_IMPORT, _("Import contacts"), _("Contacts")),
        Permission(CONTACT_EXPORT, _("Export contacts"), _("Contacts")),
        Permission(FOLLOWUP_IMPORT, _("Import follow-ups"), _("Follow-ups")),
        Permission(FOLLOWUP_EXPORT, _("Export follow-ups"), _("Follow-ups")),
        Permission(ORDER_IMPORT, _("Import orders and contracts"), _("Orders and contracts")),
        Permission(ORDER_EXPORT, _("Export orders and contracts"), _("Orders and contracts")),
    ]


IMPORTS = (IMPORT, CONTACT_IMPORT, FOLLOWUP_IMPORT, ORDER_IMPORT)
EXPORTS = (EXPORT, CONTACT_EXPORT, FOLLOWUP_EXPORT, ORDER_EXPORT)
#: See the module's docstring for why.
TABULAR_GRANTS = {
    "sales_manager": dict.fromkeys((*IMPORTS, *EXPORTS), "team"),
    "sales_rep": dict.fromkeys(IMPORTS, "own"),
    "analyst": dict.fromkeys(EXPORTS, "all"),
}
