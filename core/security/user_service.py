"""Creating, changing and deactivating users: the rules shared by the web pages and the CLI.

Nobody grants a permission or a scope they do not hold themselves: a role can
only be given or withdrawn by a manager who holds every grant of the role at
least as widely, nobody changes their own roles, and a manager cannot change a
user who holds more than they do.  The command line acts as the server's
operator and is not restricted (``COMMAND_LINE``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.i18n import _
from core.security.account import email_taken
from core.security.identity import build_identity
from core.security.models import Region, Role, Team, User
from core.security.password_messages import password_message
from core.security.passwords import check_password_policy, hash_password
from core.security.role_grants import scope_covers
from core.security.service_errors import ConflictError, Refused
from core.security.sessions import end_user_sessions
from core.validation import INVALID_EMAIL, is_email

USERNAME_PATTERN = re.compile(r"[\w.@+-]+")
USERNAME_MAX = 64
#: Regions a user can be given: provinces and cities (and custom regions at those levels).
ASSIGNABLE_LEVELS = (1, 2)


@dataclass(frozen=True)
class Manager:
    """Who manages users: their id and grants; ``grants=None`` means unrestricted."""

    user_id: int | None = None
    grants: Mapping[str, frozenset[str]] | None = None
    #: Installed modules: grants of other (uninstalled) modules confer nothing.
    modules: frozenset[str] = frozenset()


COMMAND_LINE = Manager()


@dataclass
class UserData:
    """The editable fields of a user; ``password`` is required on creation only."""

    username: str
    display_name: str = ""
    email: str | None = None
    mobile: str | None = None
    language: str | None = None
    timezone: str | None = None
    team: Team | None = None
    regions: list[Region] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    password: str | None = None


def manager_for(request: Any) -> Manager:
    """The logged-in user as a manager, with the grants of all their roles (token-limited).

    Grants of disabled modules count too: a role's grants take effect as soon as
    their module is enabled.  A permission without a data scope counts as held
    in full.
    """
    identity = request.identity
    installed = frozenset(request.registry["modules"].modules)
    held = build_identity(request.dbsession, identity.user, installed, token=identity.token)
    unscoped = {name for name, permission in request.permissions.items() if not permission.scoped}
    grants = {
        name: frozenset({"all"}) if name in unscoped else scopes
        for name, scopes in held.grants.items()
    }
    return Manager(identity.user_id, grants, installed)


def missing_grants(manager: Manager, roles: Iterable[Role]) -> list[str]:
    """Permissions of ``roles`` the manager does not hold at least as widely."""
    if manager.grants is None:
        return []
    missing = {
        grant.permission
        for role in roles
        for grant in role.grants
        if grant.scope is not None
        and grant.permission.split(".", 1)[0] in manager.modules | {"core"}
        and not scope_covers(manager.grants.get(grant.permission, frozenset()), grant.scope)
    }
    return sorted(missing)


def assignable_regions(session: Session) -> list[tuple[Region, Region | None]]:
    """Provinces and cities (with their parent, for labels) in code order."""
    parent = aliased(Region)
    rows = session.execute(
        select(Region, parent)
        .outerjoin(parent, parent.code == Region.parent_code)
        .where(Region.level.in_(ASSIGNABLE_LEVELS))
        .order_by(Region.code)
    )
    return [(region, parent_region) for region, parent_region in rows]


def username_taken(session: Session, username: str, user_id: int | None) -> bool:
    """Whether another user already has this username (case-insensitive)."""
    query = select(User.id).where(func.lower(User.username) == username.lower())
    if user_id is not None:
        query = query.where(User.id != user_id)
    return session.execute(query.limit(1)).first() is not None


def _validate(session: Session, data: UserData, user: User | None) -> dict[str, list]:
    errors: dict[str, list[TranslationString]] = {"username": [], "email": [], "password": []}
    user_id = user.id if user is not None else None
    if not data.username:
        errors["username"].append(_("Enter a username."))
    elif len(data.username) > USERNAME_MAX or not USERNAME_PATTERN.fullmatch(data.username):
        errors["username"].append(
            _("Use up to 64 letters, digits and the characters . _ - + @ (no spaces).")
        )
    elif username_taken(session, data.username, user_id):
        errors["username"].append(_("Another user already has this username."))
    if data.email and not is_email(data.email):
        errors["email"].append(INVALID_EMAIL)
    elif data.email and email_taken(session, data.email, user_id or 0):
        errors["email"].append(_("Another user already has this e-mail."))
    if data.password is not None:
        errors["password"] = [
            password_message(message_id)
            for message_id in check_password_policy(data.password, data.username, data.email or "")
        ]
    elif user is None:
        errors["password"].append(_("Enter an initial password."))
    return errors


def _check_roles(manager: Manager, user: User | None, roles: list[Role]) -> list:
    current = set(user.roles) if user is not None else set()
    changed = current ^ set(roles)
    if not changed:
        return []
    if user is not None and user.id == manager.user_id:
        return [_("You cannot change your own roles.")]
    refused = sorted(role.name for role in changed if missing_grants(manager, [role]))
    if refused:
        return [
            _(
                "You cannot give or withdraw ${roles}: it grants permissions you do not hold.",
                mapping={"roles": ", ".join(refused)},
            )
        ]
    return []


def _check_may_manage(manager: Manager, user: User) -> None:
    if user.id != manager.user_id and missing_grants(manager, user.roles):
        raise Refused(
            {
                "": [
                    _(
                        "${name} holds permissions you do not have, so you cannot change "
                        "this user.",
                        mapping={"name": user.name},
                    )
                ]
            }
        )


def _clean(data: UserData) -> UserData:
    data.username = data.username.strip()
    data.display_name = data.display_name.strip() or data.username
    data.email = (data.email or "").strip() or None
    data.mobile = (data.mobile or "").strip() or None
    data.language = data.language or None
    data.timezone = data.timezone or None
    return data


def _apply(user: User, data: UserData) -> None:
    user.username = data.username
    user.display_name = data.display_name
    user.email = data.email
    user.mobile = data.mobile
    user.language = data.language
    user.timezone = data.timezone
    user.team = data.team
    user.regions = sorted(set(data.regions), key=lambda region: region.code)
    user.roles = sorted(set(data.roles), key=lambda role: role.id)


def create_user(session: Session, manager: Manager, data: UserData) -> User:
    """Create an active user; raises :class:`Refused` and adds nothing on bad input."""
    data = _clean(data)
    errors = _validate(session, data, None)
    errors["roles"] = _check_roles(manager, None, data.roles)
    if any(errors.values()):
        raise Refused(errors)
    user = User(password_hash=hash_password(data.password or ""), is_active=True)
    _apply(user, data)
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session, manager: Manager, user: User, data: UserData, version: int
) -> None:
    """Save changes made on the form loaded at ``version``.

    Raises :class:`ConflictError` when the user changed meanwhile and
    :class:`Refused` on bad input; either way nothing changes.  A new
    password ends the user's sessions.
    """
    if version != user.version:
        raise ConflictError(user)
    _check_may_manage(manager, user)
    data = _clean(data)
    errors = _validate(session, data, user)
    errors["roles"] = _check_roles(manager, user, data.roles)
    if any(errors.values()):
        raise Refused(errors)
    _apply(user, data)
    if data.password:
        user.password_hash = hash_password(data.password)
        end_user_sessions(session, user.id)
    session.flush()


def set_user_active(session: Session, manager: Manager, user: User, active: bool) -> None:
    """Reactivate or deactivate ``user``; deactivation ends all of their sessions at once.

    API tokens of an inactive user stop working because authentication checks
    ``is_active``.
    """
    if not active and user.id == manager.user_id:
        raise Refused({"": [_("You cannot deactivate your own account.")]})
    _check_may_manage(manager, user)
    user.is_active = active
    if not active:
        end_user_sessions(session, user.id)
    session.flush()
