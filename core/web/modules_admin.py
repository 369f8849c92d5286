"""Settings → Modules: list installed modules and enable or disable them."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from core.audit import record_event
from core.i18n import _
from core.modules import ModuleError, ModuleRegistry
from core.security.catalog import apply_default_grants, collect_default_grants, collect_permissions


def enable_module(session: Any, registry: ModuleRegistry, name: str) -> list[str]:
    """Enable ``name`` (and what it needs) and give the default roles its grants."""
    enabled = registry.enable(session, name)
    hooks = registry.hooks(registry.enabled_names(session, fresh=True))
    catalogue = collect_permissions(hooks)
    apply_default_grants(session, collect_default_grants(hooks, catalogue))
    return enabled


@view_config(
    route_name="settings_modules",
    renderer="core:templates/settings/modules.jinja2",
    permission="core.modules.manage",
)
def modules_page(request: Any) -> dict[str, Any]:
    """Every installed module with its manifest and state."""
    registry: ModuleRegistry = request.registry["modules"]
    enabled = registry.enabled_names(request.dbsession, fresh=True)
    return {
        "modules": list(registry.modules.values()),
        "enabled": enabled,
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Modules")), None),
        ],
    }


@view_config(
    route_name="settings_module_toggle", request_method="POST", permission="core.modules.manage"
)
def toggle_module(request: Any) -> Any:
    """Enable or disable one module; refusals are shown as a message, nothing changes."""
    registry: ModuleRegistry = request.registry["modules"]
    name = request.matchdict["name"]
    action = request.POST.get("action")
    if name not in registry.modules or action not in ("enable", "disable"):
        raise HTTPNotFound()
    label = request.translate(registry.modules[name].manifest.label)
    try:
        if action == "enable":
            newly = enable_module(request.dbsession, registry, name)
            record_event(
                request.dbsession,
                "module_enabled",
                record_type="modules",
                record_id=name,
                changes={"enabled": newly},
            )
            request.flash(_("${module} is enabled."), module=label)
        else:
            registry.disable(request.dbsession, name)
            record_event(
                request.dbsession, "module_disabled", record_type="modules", record_id=name
            )
            request.flash(_("${module} is disabled. Its data is kept."), module=label)
    except ModuleError:
        blocking = sorted(
            request.translate(registry.modules[other].manifest.label)
            for other in registry.modules[name].dependents
            & registry.enabled_names(request.dbsession)
        )
        request.flash(
            _("${module} cannot be disabled while ${others} depends on it."),
            "danger",
            module=label,
            others="、".join(blocking),
        )
    return HTTPSeeOther(location=request.route_path("settings_modules"))


def includeme(config: Any) -> None:
    """Routes of the modules page."""
    config.add_route("settings_modules", "/settings/modules")
    config.add_route("settings_module_toggle", "/settings/modules/{name}")
    config.scan("core.web.modules_admin")
