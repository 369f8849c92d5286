"""Who is asking: the user, the token they used, and what their roles grant them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contributions import SCOPES
from core.security.models import ApiToken, RoleGrant, Team, User, user_regions, user_roles


@dataclass
class Identity:
    """The authenticated user with the grants in force for this request."""

    user: User
    grants: dict[str, frozenset[str]]
    team_ids: frozenset[int] = frozenset()
    region_codes: frozenset[str] = frozenset()
    token: ApiToken | None = None
    #: True once the second factor is given (or the user has none).
    verified: bool = True
    session_id: str | None = field(default=None, repr=False)
    #: Read once: the user object is detached when a commit fails (see ``user_id``).
    _user_id: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._user_id = self.user.id

    @property
    def user_id(self) -> int:
        """The user's id, readable even after the request's transaction was aborted."""
        return self._user_id

    def scopes(self, permission: str) -> frozenset[str]:
        """The scopes under which ``permission`` is granted (empty if not at all)."""
        return self.grants.get(permission, frozenset())

    def can(self, permission: str) -> bool:
        """Whether ``permission`` is granted under any scope."""
        return bool(self.grants.get(permission))

    def widest_scope(self, permission: str) -> str | None:
        """The widest scope of ``permission`` (``all`` > ``region``/``team`` > ``own``)."""
        held = self.scopes(permission)
        for scope in reversed(SCOPES):
            if scope in held:
                return scope
        return None


def load_grants(session: Session, user_id: int, enabled: frozenset[str]) -> dict:
    """Permission → scopes from every role of the user, for enabled modules only."""
    rows = session.execute(
        select(RoleGrant.permission, RoleGrant.scope)
        .join(user_roles, user_roles.c.role_id == RoleGrant.role_id)
        .where(user_roles.c.user_id == user_id, RoleGrant.scope.is_not(None))
    )
    grants: dict[str, set[str]] = {}
    for permission, scope in rows:
        module = permission.split(".", 1)[0]
        if module == "core" or module in enabled:
            grants.setdefault(permission, set()).add(scope)
    return {name: frozenset(scopes) for name, scopes in grants.items()}


def team_subtree(session: Session, team_id: int | None) -> frozenset[int]:
    """The ids of a team and all teams below it."""
    if team_id is None:
        return frozenset()
    team = session.get(Team, team_id)
    if team is None:
        return frozenset()
    rows = session.scalars(select(Team.id).where(Team.path.startswith(team.path)))
    return frozenset(rows) | {team_id}


def build_identity(
    session: Session,
    user: User,
    enabled: frozenset[str],
    token: ApiToken | None = None,
    verified: bool = True,
) -> Identity:
    """Everything the security policy needs about ``user`` for one request."""
    grants = load_grants(session, user.id, enabled)
    if token is not None:
        allowed = set(token.permissions or ())
        grants = {name: scopes for name, scopes in grants.items() if name in allowed}
    regions = session.scalars(
        select(user_regions.c.region_code).where(user_regions.c.user_id == user.id)
    )
    return Identity(
        user=user,
        grants=grants,
        team_ids=team_subtree(session, user.team_id),
        region_codes=frozenset(regions),
        token=token,
        verified=verified,
    )
