"""The core's own hook implementations: its permissions and settings menu."""

from __future__ import annotations

from typing import Any

from core.contributions import MenuItem, Permission
from core.i18n import _
from core.modules import hookimpl


@hookimpl
def guanxi_permissions() -> list[Permission]:
    """Administrative permissions of the core; none of them has a data scope."""
    group = _("Administration")
    return [
        Permission("core.users.manage", _("Manage users and teams"), group, scoped=False),
        Permission("core.roles.manage", _("Manage roles"), group, scoped=False),
        Permission("core.modules.manage", _("Enable and disable modules"), group, scoped=False),
        Permission("core.customfields.manage", _("Manage custom fields"), group, scoped=False),
        Permission("core.audit.view", _("View the audit trail"), group, scoped=False),
        Permission("core.settings.manage", _("Change system settings"), group, scoped=False),
    ]


@hookimpl
def guanxi_menu_items(request: Any) -> list[MenuItem]:
    """The home page and the settings pages the core provides."""
    return [
        MenuItem("home", _("Home"), "home", icon="home", order=0),
        MenuItem(
            "settings.modules",
            _("Modules"),
            "settings_modules",
            icon="puzzle",
            order=50,
            permission="core.modules.manage",
            section="settings",
        ),
    ]
