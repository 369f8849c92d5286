"""Editing a role's grants: reading the matrix, the no-escalation rule, saving, defaults.

A grant's scope is one of :data:`core.contributions.SCOPES` or ``None`` (not
granted).  Permissions without a data scope (``Permission.scoped=False``) are
either granted (stored as ``all``) or not.  The functions here know nothing
about requests, so the role editor and its tests share them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from core.contributions import SCOPES, Permission
from core.db import utcnow
from core.security.catalog import apply_default_grants
from core.security.identity import Identity
from core.security.models import Role, RoleGrant, user_roles

#: Prefix of the matrix's form fields: ``grant-<permission>``.
FIELD_PREFIX = "grant-"

#: ``{permission: [old scope, new scope]}``; ``None`` means not granted.
GrantChanges = dict[str, list[str | None]]


def scope_covers(held: frozenset[str], scope: str) -> bool:
    """Whether holding the scopes ``held`` reaches at least as far as ``scope``.

    ``own`` < ``team`` < ``all`` and ``own`` < ``region`` < ``all``; ``team``
    and ``region`` are not comparable; ``all`` covers everything.
    """
    if "all" in held or scope in held:
        return True
    return scope == "own" and bool(held & {"team", "region"})


def may_grant(identity: Identity, permission: Permission, scope: str | None) -> bool:
    """Whether ``identity`` may give ``permission`` under ``scope`` (revoking is always allowed)."""
    if scope is None:
        return True
    if not permission.scoped:
        return identity.can(permission.name)
    return scope_covers(identity.scopes(permission.name), scope)


def grant_choices(permission: Permission) -> tuple[str, ...]:
    """The scopes the matrix offers for ``permission`` (besides "no access")."""
    return SCOPES if permission.scoped else ("all",)


def current_grants(role: Role, catalogue: Mapping[str, Permission]) -> dict[str, str | None]:
    """The role's scope of every catalogue permission (unscoped ones as ``all``/``None``)."""
    held = {grant.permission: grant.scope for grant in role.grants}
    state: dict[str, str | None] = {}
    for name, permission in catalogue.items():
        scope = held.get(name)
        state[name] = scope if permission.scoped or scope is None else "all"
    return state


def parse_grants(
    formdata: Mapping[str, str], catalogue: Mapping[str, Permission]
) -> tuple[dict[str, str | None], list[str]]:
    """The submitted matrix as ``{permission: scope}`` and the permissions with a bad value.

    Permissions missing from the form are left out (they stay as they are).
    """
    submitted: dict[str, str | None] = {}
    invalid: list[str] = []
    for name, permission in catalogue.items():
        raw = formdata.get(FIELD_PREFIX + name)
        if raw is None:
            continue
        if raw == "":
            submitted[name] = None
        elif raw in grant_choices(permission):
            submitted[name] = raw
        else:
            invalid.append(name)
    return submitted, invalid


def diff_grants(
    current: Mapping[str, str | None], wanted: Mapping[str, str | None]
) -> GrantChanges:
    """``{permission: [old, new]}`` for every permission whose scope would change."""
    return {
        name: [current.get(name), scope]
        for name, scope in wanted.items()
        if current.get(name) != scope
    }


def refused_grants(
    identity: Identity, catalogue: Mapping[str, Permission], changes: GrantChanges
) -> list[str]:
    """The permissions of ``changes`` that ``identity`` may not give (the no-escalation rule)."""
    return sorted(
        name
        for name, (_old, new) in changes.items()
        if not may_grant(identity, catalogue[name], new)
    )


def touch_role(role: Role) -> None:
    """Mark the role itself as changed so that its ``version`` moves on."""
    role.updated_at = utcnow()
    flag_modified(role, "updated_at")


def apply_grant_changes(role: Role, changes: GrantChanges) -> None:
    """Write ``changes`` as administrator edits (``edited=True``; a revoke keeps its row)."""
    rows = {grant.permission: grant for grant in role.grants}
    for name, (_old, new) in changes.items():
        grant = rows.get(name)
        if grant is None:
            role.grants.append(RoleGrant(permission=name, scope=new, edited=True))
        else:
            grant.scope = new
            grant.edited = True
    if changes:
        touch_role(role)


def default_changes(
    role: Role, catalogue: Mapping[str, Permission], defaults: Mapping[str, str]
) -> GrantChanges:
    """What restoring the module defaults ``defaults`` would change on ``role``."""
    wanted = {
        name: (defaults.get(name) if permission.scoped or name not in defaults else "all")
        for name, permission in catalogue.items()
    }
    return diff_grants(current_grants(role, catalogue), wanted)


def restore_defaults(
    session: Session, role: Role, catalogue: Mapping[str, Permission], defaults: Mapping[str, str]
) -> None:
    """Forget the administrators' edits of the catalogue's permissions and re-apply defaults.

    Grants of disabled modules (not in ``catalogue``) are left alone.
    """
    for grant in list(role.grants):
        if grant.permission not in catalogue:
            continue
        if grant.permission in defaults:
            grant.edited = False
        else:
            role.grants.remove(grant)
    apply_default_grants(session, {role.key: dict(defaults)})
    touch_role(role)


def count_role_users(session: Session, role_id: int) -> int:
    """How many users have the role."""
    query = select(func.count()).select_from(user_roles).where(user_roles.c.role_id == role_id)
    return session.scalar(query) or 0
