"""Settings → Roles: the role list, custom roles and the grant matrix.

Rules the editor enforces (permission ``core.roles.manage``):

* nobody gives a permission, or a scope, wider than they hold themselves;
* nobody changes a role they have themselves;
* default roles are never deleted, custom roles only once nobody has them;
* a save based on an old ``version`` of the role is refused;
* a refused save changes nothing; grant changes are audited as ``role_changed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from core.audit import record_event
from core.contributions import Permission
from core.forms import Form
from core.i18n import _
from core.security import role_grants
from core.security.catalog import collect_default_grants, role_label
from core.security.models import Role
from core.validation import parse_id
from core.web.form_feedback import conflict_message

MANAGE = "core.roles.manage"

SCOPE_LABELS = {
    "": _("No access"),
    "own": _("Own records"),
    "team": _("Team's records"),
    "region": _("Records of assigned regions"),
    "all": _("All records"),
}
GRANTED = _("Granted")


class RoleForm(Form):
    """Name and description of a role."""

    name = StringField(_("Name"), [InputRequired(), Length(max=100)])
    description = TextAreaField(_("Description"), [Length(max=2000)])


@dataclass
class MatrixRow:
    """One permission of the grant matrix with its scope options."""

    permission: Permission
    field_name: str
    selected: str
    #: ``(value, label, may be chosen by the editor)``.
    options: list[tuple[str, Any, bool]]
    refused: bool = False


@dataclass
class MatrixSection:
    """The permissions of one module, by ``Permission.group``."""

    label: Any
    #: ``Permission.group`` label → rows, in the order the module declares them.
    groups: dict[str, list[MatrixRow]] = field(default_factory=dict)


def build_matrix(
    request: Any, shown: Mapping[str, str | None], refused: frozenset[str] = frozenset()
) -> list[MatrixSection]:
    """The grant matrix of the enabled modules, core first, then in dependency order."""
    identity = request.identity
    modules = request.registry["modules"].modules
    sections: dict[str, MatrixSection] = {}
    for name, permission in request.permissions.items():
        module = permission.module
        if module not in sections:
            label = _("Core") if module == "core" else modules[module].manifest.label
            sections[module] = MatrixSection(label)
        section = sections[module]
        selected = shown.get(name) or ""
        options = [("", SCOPE_LABELS[""], True)]
        for scope in role_grants.grant_choices(permission):
            allowed = role_grants.may_grant(identity, permission, scope) or scope == selected
            options.append((scope, SCOPE_LABELS[scope] if permission.scoped else GRANTED, allowed))
        row = MatrixRow(
            permission, role_grants.FIELD_PREFIX + name, selected, options, name in refused
        )
        section.groups.setdefault(permission.group or _("General"), []).append(row)
    return [sections[name] for name in ("core", *modules) if name in sections]


def load_role(request: Any) -> Role:
    """The role of the URL, or 404."""
    role = request.dbsession.get(Role, parse_id(request.matchdict["id"]) or 0)
    if role is None:
        raise HTTPNotFound()
    return role


def has_role(request: Any, role: Role) -> bool:
    """Whether the logged-in user has ``role`` themselves."""
    return any(mine.id == role.id for mine in request.user.roles)


def name_taken(session: Any, name: str, role_id: int | None) -> bool:
    """Whether another role already has this name (case-insensitive)."""
    query = select(func.count()).select_from(Role).where(func.lower(Role.name) == name.lower())
    if role_id is not None:
        query = query.where(Role.id != role_id)
    return bool(session.scalar(query))


def stale_message(request: Any, role: Role, version: str | None) -> str | None:
    """The "changed by X at T" message when the form was based on an older version."""
    if parse_id(version) == role.version:
        return None
    return conflict_message(request, role)


def permission_labels(request: Any, names: list[str]) -> str:
    """Translated labels of permissions, for messages."""
    catalogue = request.permissions
    return "、".join(f"{request.translate(catalogue[name].label)} ({name})" for name in names)


def refusal_message(request: Any, refused: list[str]) -> Any:
    """The message of a save refused by the no-escalation rule."""
    return _(
        "Nothing was saved: you cannot give a permission or scope wider than your own: "
        "${permissions}.",
        mapping={"permissions": permission_labels(request, refused)},
    )


def audit_grant_changes(request: Any, role: Role, changes: role_grants.GrantChanges) -> None:
    """Write the ``role_changed`` audit event."""
    record_event(
        request.dbsession,
        "role_changed",
        record_type="roles",
        record_id=role.id,
        summary=role.name,
        changes=changes,
    )


def breadcrumbs(request: Any, *last: Any) -> list[tuple[str, str | None]]:
    """Settings › Roles › …"""
    trail = [
        (request.translate(_("Settings")), None),
        (request.translate(_("Roles")), request.route_path("settings_roles") if last else None),
    ]
    return trail + [(request.translate(label), None) for label in last]


@view_config(
    route_name="settings_roles",
    renderer="core:templates/admin/roles_list.jinja2",
    permission=MANAGE,
)
def roles_list(request: Any) -> dict[str, Any]:
    """Every role with how many users have it."""
    roles = list(request.dbsession.scalars(select(Role).order_by(Role.key.is_(None), Role.id)))
    return {
        "roles": roles,
        "labels": {role.id: request.translate(role_label(role)) for role in roles},
        "counts": {
            role.id: role_grants.count_role_users(request.dbsession, role.id) for role in roles
        },
        "mine": {role.id for role in request.user.roles},
        "breadcrumbs": breadcrumbs(request),
    }


@view_config(
    route_name="settings_role_new",
    renderer="core:templates/admin/roles_new.jinja2",
    permission=MANAGE,
)
def role_new(request: Any) -> Any:
    """Create a custom role (without grants; they are chosen on its page)."""
    form = RoleForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        name = form.name.data.strip()
        if name_taken(request.dbsession, name, None):
            form.name.errors.append(_("Another role already has this name."))
        else:
            role = Role(name=name, description=(form.description.data or "").strip())
            request.dbsession.add(role)
            request.dbsession.flush()
            request.flash(_("The role ${name} is created. Now choose its permissions."), name=name)
            return HTTPSeeOther(location=request.route_path("settings_role", id=role.id))
    return {"form": form, "breadcrumbs": breadcrumbs(request, _("New role"))}


def role_form(request: Any, role: Role, formdata: Any = None) -> RoleForm:
    """The name/description form of ``role`` (showing a default role's translated name)."""
    form = RoleForm(request, formdata, obj=role)
    if formdata is None:
        form.name.data = request.translate(role_label(role))
    return form


def role_page(
    request: Any,
    role: Role,
    form: RoleForm,
    shown: Mapping[str, str | None],
    refused: list[str] | None = None,
) -> dict[str, Any]:
    """What the role page template needs."""
    return {
        "role": role,
        "label": request.translate(role_label(role)),
        "form": form,
        "own": has_role(request, role),
        "users": role_grants.count_role_users(request.dbsession, role.id),
        "matrix": build_matrix(request, shown, frozenset(refused or ())),
        "breadcrumbs": breadcrumbs(request, role_label(role)),
    }


@view_config(
    route_name="settings_role", renderer="core:templates/admin/roles_edit.jinja2", permission=MANAGE
)
def role_edit(request: Any) -> Any:
    """The role's name, description and grant matrix; POST saves them."""
    role = load_role(request)
    current = role_grants.current_grants(role, request.permissions)
    if request.method != "POST":
        return role_page(request, role, role_form(request, role), current)
    if has_role(request, role):
        form = role_form(request, role, request.POST)
        form.form_errors.append(_("You have this role yourself, so you cannot change it."))
        return role_page(request, role, form, current)
    stale = stale_message(request, role, request.POST.get("version"))
    if stale is not None:
        form = role_form(request, role)
        form.form_errors.append(stale)
        return role_page(request, role, form, current)
    return save_role(request, role, current)


def save_role(request: Any, role: Role, current: dict[str, str | None]) -> Any:
    """Save the posted name, description and grants, or show why nothing was saved."""
    catalogue = request.permissions
    form = role_form(request, role, request.POST)
    submitted, invalid = role_grants.parse_grants(request.POST, catalogue)
    changes = role_grants.diff_grants(current, submitted)
    refused = role_grants.refused_grants(request.identity, catalogue, changes)
    valid = form.validate()
    name = (form.name.data or "").strip()
    renamed = name != request.translate(role_label(role))
    if invalid:
        form.form_errors.append(
            _(
                "Choose one of the offered scopes for ${permissions}.",
                mapping={"permissions": permission_labels(request, invalid)},
            )
        )
    elif refused:
        form.form_errors.append(refusal_message(request, refused))
    elif valid and renamed and name_taken(request.dbsession, name, role.id):
        form.name.errors.append(_("Another role already has this name."))
    elif valid:
        if renamed:
            role.name = name
        role.description = (form.description.data or "").strip()
        role_grants.apply_grant_changes(role, changes)
        if changes:
            audit_grant_changes(request, role, changes)
        request.flash(_("The role ${name} is saved."), name=request.translate(role_label(role)))
        return HTTPSeeOther(location=request.route_path("settings_role", id=role.id))
    return role_page(request, role, form, {**current, **submitted}, refused)


@view_config(route_name="settings_role_delete", request_method="POST", permission=MANAGE)
def role_delete(request: Any) -> Any:
    """Delete a custom role nobody has; default roles stay."""
    role = load_role(request)
    label = request.translate(role_label(role))
    users = role_grants.count_role_users(request.dbsession, role.id)
    here = HTTPSeeOther(location=request.route_path("settings_role", id=role.id))
    if role.key is not None:
        request.flash(_("Default roles cannot be deleted."), "danger")
        return here
    if users:
        request.flash(
            _("${name} cannot be deleted: ${count} users still have it. Take it away first."),
            "danger",
            name=label,
            count=users,
        )
        return here
    request.dbsession.delete(role)
    request.flash(_("The role ${name} is deleted."), name=label)
    return HTTPSeeOther(location=request.route_path("settings_roles"))


@view_config(route_name="settings_role_restore", request_method="POST", permission=MANAGE)
def role_restore(request: Any) -> Any:
    """Forget the administrators' edits of a default role and re-apply the module defaults."""
    role = load_role(request)
    here = HTTPSeeOther(location=request.route_path("settings_role", id=role.id))
    if role.key is None:
        raise HTTPNotFound()
    stale = stale_message(request, role, request.POST.get("version"))
    if has_role(request, role):
        request.flash(_("You have this role yourself, so you cannot change it."), "danger")
        return here
    if stale is not None:
        request.flash(stale, "danger")
        return here
    catalogue = request.permissions
    defaults = collect_default_grants(request.hooks, catalogue).get(role.key, {})
    changes = role_grants.default_changes(role, catalogue, defaults)
    refused = role_grants.refused_grants(request.identity, catalogue, changes)
    if refused:
        request.flash(refusal_message(request, refused), "danger")
        return here
    role_grants.restore_defaults(request.dbsession, role, catalogue, defaults)
    if changes:
        audit_grant_changes(request, role, changes)
    request.flash(
        _("The module defaults of ${name} are restored."),
        name=request.translate(role_label(role)),
    )
    return here


def includeme(config: Any) -> None:
    """Routes of the role editor and of "Explain access"."""
    config.add_route("settings_roles", "/settings/roles")
    config.add_route("settings_role_new", "/settings/roles/new")
    config.add_route("settings_role", "/settings/roles/{id}")
    config.add_route("settings_role_delete", "/settings/roles/{id}/delete")
    config.add_route("settings_role_restore", "/settings/roles/{id}/restore")
    config.scan("core.security.admin_roles")
    config.include("core.security.explain")
