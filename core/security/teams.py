"""The team tree: creating and moving teams keeps every ``path`` right."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.security.models import Team


class TeamError(Exception):
    """A team cannot be placed where asked (it would become its own ancestor)."""


def create_team(session: Session, name: str, parent: Team | None = None) -> Team:
    """Add a team under ``parent`` (or at the top) with its path filled."""
    team = Team(name=name, parent=parent)
    session.add(team)
    session.flush()
    team.path = f"{parent.path if parent else '/'}{team.id}/"
    session.flush()
    return team


def move_team(session: Session, team: Team, parent: Team | None) -> None:
    """Put ``team`` (with its subtree) under ``parent``."""
    if parent is not None and parent.path.startswith(team.path):
        raise TeamError("a team cannot be moved under itself or one of its sub-teams")
    old_path = team.path
    new_path = f"{parent.path if parent else '/'}{team.id}/"
    team.parent = parent
    for member in session.scalars(select(Team).where(Team.path.startswith(old_path))):
        member.path = new_path + member.path[len(old_path) :]
    session.flush()
