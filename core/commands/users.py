"""``guanxi users create|list|disable`` and ``guanxi teams create``.

The command line acts as the server's operator: it is not limited by the
no-escalation rule, but it follows every other rule of the web pages (it calls
the same services).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.cli import CommandError, command
from core.security.models import Region, Role, Team, User
from core.security.service_errors import Refused
from core.security.team_service import add_team
from core.security.user_service import (
    ASSIGNABLE_LEVELS,
    COMMAND_LINE,
    UserData,
    create_user,
    set_user_active,
)


def refusal_text(refused: Refused) -> str:
    """A refusal's messages in English, each after the option it concerns."""
    return "; ".join(
        f"{name}: {message.interpolate()}" if name else str(message.interpolate())
        for name, messages in refused.errors.items()
        for message in messages
    )


def find_role(session: Session, ref: str) -> Role:
    """The role whose key or name (any case) is ``ref``."""
    role = session.scalars(
        select(Role).where((Role.key == ref) | (func.lower(Role.name) == ref.lower()))
    ).first()
    if role is None:
        keys = ", ".join(
            key for key in session.scalars(select(Role.key).where(Role.key.is_not(None)))
        )
        raise CommandError(f"no role called {ref!r} (default roles: {keys})")
    return role


def find_team(session: Session, ref: str) -> Team:
    """The team with the id ``ref``, or the only team called ``ref`` (any case)."""
    if ref.isdigit():
        team = session.get(Team, int(ref))
        if team is None:
            raise CommandError(f"no team has the id {ref}")
        return team
    teams = list(session.scalars(select(Team).where(func.lower(Team.name) == ref.lower())))
    if not teams:
        raise CommandError(f"no team called {ref!r}")
    if len(teams) > 1:
        ids = ", ".join(str(team.id) for team in teams)
        raise CommandError(f"several teams are called {ref!r} (ids {ids}); give the id instead")
    return teams[0]


def find_regions(session: Session, codes: list[str]) -> list[Region]:
    """The provinces and cities with these codes."""
    regions = list(
        session.scalars(
            select(Region).where(Region.code.in_(codes), Region.level.in_(ASSIGNABLE_LEVELS))
        )
    )
    unknown = sorted(set(codes) - {region.code for region in regions})
    if unknown:
        raise CommandError(f"not a province or city code: {', '.join(unknown)}")
    return regions


def read_password(stream: Any) -> str:
    """The first line of ``stream`` without its line ending."""
    return stream.readline().rstrip("\r\n")


def _users_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="create an active user",
        description="Create an active user; the initial password is read from standard input.",
    )
    create.add_argument("username", help="login name (letters, digits, . _ - + @)")
    create.add_argument(
        "--role",
        action="append",
        required=True,
        help="role key (admin, sales_manager, …) or name; repeat for several roles",
    )
    create.add_argument("--team", help="team id or name")
    create.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="CODE",
        help="province or city code, e.g. 44 or 4401; repeat for several",
    )
    create.add_argument("--email", help="e-mail address (unique)")
    create.add_argument(
        "--display-name", default="", help="name shown in the UI (default: USERNAME)"
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the initial password from the first line of standard input",
    )
    actions.add_parser("list", help="list every user", description="List every user.")
    disable = actions.add_parser(
        "disable",
        help="deactivate a user and end their sessions",
        description="Deactivate a user: their sessions end and their API tokens stop working.",
    )
    disable.add_argument("username", help="login name of the user")


@command("users", "create, list or disable users", _users_arguments)
def users(args: argparse.Namespace, env: Any) -> int:
    """Run ``guanxi users ACTION``."""
    with env.session() as session:
        if args.action == "create":
            _create(session, args)
        elif args.action == "list":
            _list(session)
        else:
            _disable(session, args.username)
    return 0


def _create(session: Session, args: argparse.Namespace) -> None:
    data = UserData(
        username=args.username,
        display_name=args.display_name,
        email=args.email,
        team=find_team(session, args.team) if args.team else None,
        regions=find_regions(session, args.region),
        roles=[find_role(session, ref) for ref in args.role],
        password=read_password(sys.stdin),
    )
    try:
        user = create_user(session, COMMAND_LINE, data)
    except Refused as refused:
        raise CommandError(f"user not created: {refusal_text(refused)}") from refused
    print(f"created user {user.username} (id {user.id})")


def _list(session: Session) -> None:
    query = select(User).options(selectinload(User.roles), selectinload(User.team))
    for user in session.scalars(query.order_by(User.username)):
        state = "active" if user.is_active else "disabled"
        roles = ",".join(role.key or role.name for role in user.roles) or "-"
        team = user.team.name if user.team else "-"
        print(f"{user.username:<20} {state:<8} {roles:<24} {team:<20} {user.email or '-'}")


def _disable(session: Session, username: str) -> None:
    user = session.scalars(
        select(User).where(func.lower(User.username) == username.lower())
    ).first()
    if user is None:
        raise CommandError(f"no user called {username!r}")
    try:
        set_user_active(session, COMMAND_LINE, user, False)
    except Refused as refused:
        raise CommandError(refusal_text(refused)) from refused
    print(f"disabled {user.username}; their sessions are ended")


def _teams_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a team", description="Create a team, optionally under a parent."
    )
    create.add_argument("name", help="name of the new team")
    create.add_argument("--parent", help="id or name of the parent team")


@command("teams", "create teams", _teams_arguments)
def teams(args: argparse.Namespace, env: Any) -> int:
    """Run ``guanxi teams create NAME``."""
    with env.session() as session:
        parent = find_team(session, args.parent) if args.parent else None
        try:
            team = add_team(session, args.name, parent)
        except Refused as refused:
            raise CommandError(f"team not created: {refusal_text(refused)}") from refused
        print(f"created team {team.name} (id {team.id})")
    return 0
