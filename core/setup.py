"""Preparing a database: migrations, module states, default roles, regions, first admin."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import write_private_file
from core.migrate import upgrade
from core.modules import ModuleRegistry
from core.security.catalog import apply_default_grants, collect_default_grants, collect_permissions
from core.security.models import Region, Role, User
from core.security.passwords import hash_password
from core.security.regions import load_divisions

ADMIN_PASSWORD_FILE = "admin-password.txt"


def prepare_database(registry: Any, session_factory: Any) -> None:
    """Migrate, record new modules, add default roles and grants, load the regions."""
    from core.db import session_scope

    modules: ModuleRegistry = registry["modules"]
    upgrade(registry["dbengine"], modules)
    with session_scope(session_factory) as session:
        modules.sync(session)
        refresh_default_grants(session, modules)
        if not session.scalar(select(func.count()).select_from(Region)):
            load_divisions(session)


def refresh_default_grants(session: Session, modules: ModuleRegistry) -> int:
    """Apply the enabled modules' default grants under the administrators' edits."""
    hooks = modules.hooks(modules.enabled_names(session, fresh=True))
    catalogue = collect_permissions(hooks)
    return apply_default_grants(session, collect_default_grants(hooks, catalogue))


def create_first_admin(session: Session, var_dir: Path) -> str | None:
    """On an empty database, create ``admin`` with a random password; return it (else None).

    The password is also written to ``var/admin-password.txt`` (mode 0600).
    """
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    admin_role = session.scalars(select(Role).where(Role.key == "admin")).one()
    session.add(
        User(
            username="admin",
            display_name="Administrator",
            password_hash=hash_password(password),
            roles=[admin_role],
            language=None,
        )
    )
    session.flush()
    write_private_file(var_dir / ADMIN_PASSWORD_FILE, f"admin\n{password}\n")
    return password
