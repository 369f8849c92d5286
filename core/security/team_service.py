"""Adding, renaming, moving and deleting teams: the rules shared by the web pages and the CLI."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.i18n import _
from core.security.models import Team, User
from core.security.service_errors import ConflictError, Refused
from core.security.teams import TeamError, create_team, move_team

NAME_MAX = 100


def team_tree(session: Session) -> list[tuple[Team, int]]:
    """Every team with its depth, parents before children, siblings by name."""
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team in session.scalars(select(Team).order_by(func.lower(Team.name), Team.id)):
        children[team.parent_id].append(team)
    ordered: list[tuple[Team, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for team in children.get(parent_id, []):
            ordered.append((team, depth))
            walk(team.id, depth + 1)

    walk(None, 0)
    return ordered


def _check_name(session: Session, name: str, parent: Team | None, team: Team | None) -> str:
    name = name.strip()
    if not name:
        raise Refused({"name": [_("Enter a name.")]})
    if len(name) > NAME_MAX:
        raise Refused({"name": [_("Use at most 100 characters.")]})
    query = select(Team.id).where(
        func.lower(Team.name) == name.lower(),
        Team.parent_id.is_(None) if parent is None else Team.parent_id == parent.id,
    )
    if team is not None:
        query = query.where(Team.id != team.id)
    if session.execute(query.limit(1)).first() is not None:
        raise Refused({"name": [_("A team with this name already exists at this place.")]})
    return name


def add_team(session: Session, name: str, parent: Team | None) -> Team:
    """A new team under ``parent``; refuses an empty name or a sibling of the same name."""
    return create_team(session, _check_name(session, name, parent, None), parent)


def change_team(session: Session, team: Team, name: str, parent: Team | None, version: int) -> None:
    """Rename and/or move ``team`` as loaded at ``version``; a cycle is refused."""
    if version != team.version:
        raise ConflictError(team)
    name = _check_name(session, name, parent, team)
    if parent != team.parent:
        try:
            move_team(session, team, parent)
        except TeamError as exc:
            raise Refused(
                {"parent": [_("A team cannot be placed under itself or one of its sub-teams.")]}
            ) from exc
    team.name = name
    session.flush()


def delete_blockers(session: Session, team: Team) -> dict[str, bool]:
    """Whether ``team`` still has members (active or not) and sub-teams."""
    return {
        "users": bool(session.scalar(select(exists().where(User.team_id == team.id)))),
        "teams": bool(session.scalar(select(exists().where(Team.parent_id == team.id)))),
    }


def delete_team(session: Session, team: Team) -> None:
    """Delete an empty team; refused while users, sub-teams or other records point to it."""
    blockers = delete_blockers(session, team)
    if blockers["users"]:
        raise Refused({"": [_("Move the team's users to another team first.")]})
    if blockers["teams"]:
        raise Refused({"": [_("Delete or move the team's sub-teams first.")]})
    try:
        with session.begin_nested():
            session.delete(team)
            session.flush()
    except IntegrityError as exc:
        raise Refused({"": [_("Other records still belong to this team.")]}) from exc
