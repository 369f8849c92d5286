"""The core's own hook implementations: permissions, menus, record types and tabs."""

from __future__ import annotations

from typing import Any

from core.contributions import (
    ApiResource,
    BackgroundTask,
    MenuItem,
    PeriodicJob,
    Permission,
    RecordTab,
    RecordType,
    ScopeColumns,
)
from core.i18n import _
from core.modules import hookimpl
from core.security.models import Team, User


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
        Permission(
            "core.views.share", _("Share saved list views with everybody"), group, scoped=False
        ),
    ]


@hookimpl
def guanxi_default_grants() -> dict[str, dict[str, str]]:
    """Sales managers may share list views (administrators hold every permission)."""
    return {"sales_manager": {"core.views.share": "all"}}


@hookimpl
def guanxi_menu_items(request: Any) -> list[MenuItem]:
    """The home page and the settings pages the core provides."""
    return [
        MenuItem("home", _("Home"), "home", icon="home", order=0),
        MenuItem(
            "settings.audit",
            _("Audit trail"),
            "settings_audit",
            icon="history",
            order=90,
            permission="core.audit.view",
            section="settings",
        ),
        MenuItem(
            "settings.modules",
            _("Modules"),
            "settings_modules",
            icon="puzzle",
            order=50,
            permission="core.modules.manage",
            section="settings",
        ),
        MenuItem(
            "settings.security",
            _("Security"),
            "settings_security",
            icon="shield-check",
            order=60,
            permission="core.settings.manage",
            section="settings",
        ),
        MenuItem(
            "settings.outbox",
            _("Outbox"),
            "settings_outbox",
            icon="mail",
            order=70,
            permission="core.settings.manage",
            section="settings",
        ),
        MenuItem(
            "settings.users",
            _("Users"),
            "users",
            icon="users",
            order=10,
            permission="core.users.manage",
            section="settings",
        ),
        MenuItem(
            "settings.teams",
            _("Teams"),
            "teams",
            icon="sitemap",
            order=12,
            permission="core.users.manage",
            section="settings",
        ),
        MenuItem(
            "settings.regions",
            _("Regions"),
            "regions",
            icon="map-pin",
            order=14,
            permission="core.users.manage",
            section="settings",
        ),
        MenuItem(
            "settings.roles",
            _("Roles"),
            "settings_roles",
            icon="shield-lock",
            order=20,
            permission="core.roles.manage",
            section="settings",
        ),
        MenuItem(
            "settings.custom_fields",
            _("Custom fields"),
            "settings_custom_fields",
            icon="forms",
            order=55,
            permission="core.customfields.manage",
            section="settings",
        ),
    ]


@hookimpl
def guanxi_record_types() -> list[RecordType]:
    """Users and teams, so that their history is read like any record's.

    Their permission prefix is ``core.users``: ``core.users.manage`` opens them.
    """
    return [
        RecordType(
            "user",
            _("User"),
            User,
            scope=ScopeColumns(owner="id", team="team_id"),
            permission_prefix="core.users",
            title=lambda user: user.name,
        ),
        RecordType(
            "team", _("Team"), Team, scope=ScopeColumns(team="id"), permission_prefix="core.users"
        ),
    ]


@hookimpl
def guanxi_record_tabs(request: Any, record_type: str, record: Any) -> list[RecordTab]:
    """The History tab of every record page: its audit trail and past states."""
    if record_type not in request.record_types:
        return []
    url = request.route_path("record_history", record_type=record_type, id=record.id)
    return [RecordTab("history", _("History"), url, order=900, icon="history")]


@hookimpl
def guanxi_timeline_entries(
    request: Any, record_type: str, record: Any, before: Any, limit: int
) -> list[Any]:
    """The record's audited changes on its timeline."""
    from core.web.timeline import audit_entries

    return audit_entries(request, record_type, record, before, limit)


@hookimpl
def guanxi_background_tasks() -> list[BackgroundTask]:
    """Imports, their undo, and exports too large to download at once."""
    from core.tabular.exports import TASKS as EXPORT_TASKS
    from core.tabular.imports import TASKS as IMPORT_TASKS

    return [*IMPORT_TASKS, *EXPORT_TASKS]


@hookimpl
def guanxi_periodic_jobs() -> list[PeriodicJob]:
    """Delete export files whose link expired and old import uploads, every hour."""
    from core.jobs import job_settings
    from core.tabular.exports import remove_old_files

    return [
        PeriodicJob(
            "core.tabular_files", lambda session: remove_old_files(job_settings(session)), 60
        )
    ]


@hookimpl
def guanxi_api_resources() -> list[ApiResource]:
    """The core's REST endpoints: me, users, imports, exports and the OpenAPI document itself."""
    from core.api.users import USERS_RESOURCE
    from core.api.views import ME_RESOURCE
    from core.tabular.openapi import TABULAR_RESOURCE

    return [ME_RESOURCE, USERS_RESOURCE, TABULAR_RESOURCE]


@hookimpl
def guanxi_bench_scenarios() -> list[Any]:
    """The framework's floor (``/healthz``), to which page throughput is compared."""
    from core.bench.scenarios import core_scenarios

    return core_scenarios()
