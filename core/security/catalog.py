"""The permission catalogue and the default grants of the default roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contributions import SCOPES, Permission
from core.i18n import _
from core.security.models import Role, RoleGrant

#: The default roles: key → English name (a translation string, shown translated
#: while an administrator has not renamed the role).
DEFAULT_ROLES = {
    "admin": _("Administrator"),
    "sales_manager": _("Sales manager"),
    "sales_rep": _("Sales representative"),
    "service_agent": _("Service agent"),
    "analyst": _("Analyst"),
}


def role_label(role: Role) -> str:
    """The name to show for ``role``: translatable while a default role keeps its name."""
    default = DEFAULT_ROLES.get(role.key or "")
    return default if default is not None and role.name == default else role.name


class CatalogError(Exception):
    """Two modules declared the same permission, or a grant is malformed."""


def collect_permissions(hooks: Any) -> dict[str, Permission]:
    """Every permission the given hook relay declares, by name.

    A permission declared twice is an error naming both modules.
    """
    catalogue: dict[str, Permission] = {}
    declared_by: dict[str, str] = {}
    for impl in hooks.guanxi_permissions.get_hookimpls():
        for permission in impl.function() or ():
            if permission.name in catalogue:
                raise CatalogError(
                    f"permission {permission.name} is declared by both "
                    f"{declared_by[permission.name]} and {impl.plugin_name}"
                )
            if permission.name.count(".") != 2:
                raise CatalogError(
                    f"permission {permission.name} (module {impl.plugin_name}) is not "
                    "module.resource.action"
                )
            catalogue[permission.name] = permission
            declared_by[permission.name] = impl.plugin_name
    return catalogue


def collect_default_grants(hooks: Any, catalogue: dict[str, Permission]) -> dict[str, dict]:
    """``{role_key: {permission: scope}}`` from every module, admin getting everything."""
    merged: dict[str, dict[str, str]] = {key: {} for key in DEFAULT_ROLES}
    for grants in hooks.guanxi_default_grants():
        for role_key, permissions in (grants or {}).items():
            for name, scope in permissions.items():
                if scope not in SCOPES:
                    raise CatalogError(f"{name}: unknown scope {scope!r}")
                if name not in catalogue:
                    raise CatalogError(f"default grant of undeclared permission {name}")
                merged.setdefault(role_key, {})[name] = scope
    merged["admin"] = dict.fromkeys(catalogue, "all")
    return merged


def ensure_default_roles(session: Session) -> dict[str, Role]:
    """Create the default roles that do not exist yet; return all of them by key."""
    roles = {role.key: role for role in session.scalars(select(Role).where(Role.key.is_not(None)))}
    for key, name in DEFAULT_ROLES.items():
        if key not in roles:
            roles[key] = Role(key=key, name=str(name))
            session.add(roles[key])
    session.flush()
    return roles


def apply_default_grants(session: Session, defaults: dict[str, dict[str, str]]) -> int:
    """Add module defaults under the administrators' edits; return how many rows changed.

    A grant an administrator edited (or revoked) is left as it is.
    """
    roles = ensure_default_roles(session)
    changed = 0
    for role_key, permissions in defaults.items():
        role = roles.get(role_key)
        if role is None:
            continue
        existing = {grant.permission: grant for grant in role.grants}
        for name, scope in permissions.items():
            grant = existing.get(name)
            if grant is None:
                role.grants.append(RoleGrant(permission=name, scope=scope))
                changed += 1
            elif not grant.edited and grant.scope != scope:
                grant.scope = scope
                changed += 1
    session.flush()
    return changed
