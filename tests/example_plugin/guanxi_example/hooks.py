"""The example module's contributions: a permission, a menu item and a customer tab."""

from __future__ import annotations

from typing import Any

from core import hookimpl
from core.contributions import MenuItem, Permission, RecordTab
from guanxi_example import _

VIEW = "example.note.view"


@hookimpl
def guanxi_permissions() -> list[Permission]:
    """Reading notes; which notes follows the customers the user may see."""
    return [Permission(VIEW, _("View notes on customers"), _("Example notes"))]


@hookimpl
def guanxi_default_grants() -> dict[str, dict[str, str]]:
    """Sales people read the notes of their customers (administrators get everything)."""
    return {"sales_manager": {VIEW: "team"}, "sales_rep": {VIEW: "own"}}


@hookimpl
def guanxi_menu_items(request: Any) -> list[MenuItem]:
    """The notes page in the side menu."""
    return [
        MenuItem(
            "example.notes", _("Notes"), "example_notes", icon="notes", order=90, permission=VIEW
        )
    ]


@hookimpl
def guanxi_record_tabs(request: Any, record_type: str, record: Any) -> list[RecordTab]:
    """A "Notes" tab on the customer page."""
    if record_type != "customer" or not request.identity.can(VIEW):
        return []
    url = request.route_path("example_customer_notes", id=record.id)
    return [RecordTab("example.notes", _("Notes"), url, order=50, icon="notes")]
