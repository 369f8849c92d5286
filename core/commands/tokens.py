"""``guanxi tokens create|list|revoke``: personal API tokens from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.cli import CommandError, command
from core.modules import ModuleRegistry
from core.security.identity import load_grants
from core.security.models import ApiToken, User
from core.security.tokens import TokenError, issue_token, revoke_token

DEFAULT_EXPIRY_DAYS = 90


def find_user(session: Session, username: str) -> User:
    """The user called ``username``; a :class:`CommandError` when there is none."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise CommandError(f"no user called {username!r}")
    return user


def create_for(
    session: Session,
    modules: ModuleRegistry,
    username: str,
    name: str,
    expires_days: int | None,
    permissions: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for ``username``; by default with every permission the user holds now."""
    user = find_user(session, username)
    if not user.is_active:
        raise CommandError(f"{username} is deactivated; their tokens would not work")
    held = sorted(load_grants(session, user.id, modules.enabled_names(session, fresh=True)))
    try:
        return issue_token(session, user, name, permissions or held, expires_days, held)
    except TokenError as exc:
        raise CommandError(str(exc)) from None


def tokens_of(session: Session, username: str) -> list[ApiToken]:
    """Every token of ``username``, newest first."""
    user = find_user(session, username)
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_by_id(session: Session, token_id: int) -> ApiToken:
    """Revoke the token with ``token_id``; a :class:`CommandError` when there is none."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise CommandError(f"no token with id {token_id}")
    if not revoke_token(session, token):
        raise CommandError(f"token {token_id} ({token.name}) was already revoked")
    return token


def state(token: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.is_usable() else "expired"


def _stamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it (shown once)")
    create.add_argument("username")
    create.add_argument("--name", default="CLI token", help="what the token is for")
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires-days",
        type=int,
        default=DEFAULT_EXPIRY_DAYS,
        help="days until it expires, 1-365 (default: %(default)s)",
    )
    expiry.add_argument("--no-expiry", action="store_true", help="the token never expires")
    create.add_argument(
        "--permission",
        action="append",
        dest="permissions",
        metavar="PERMISSION",
        help="limit the token to this permission (repeatable; default: all the user holds)",
    )
    listing = actions.add_parser("list", help="list a user's tokens")
    listing.add_argument("username")
    revoke = actions.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", type=int)


@command("tokens", "create, list or revoke personal API tokens", _arguments)
def tokens(args: argparse.Namespace, env: Any) -> int:
    """Run one ``tokens`` action."""
    with env.session() as session:
        if args.action == "create":
            token, raw = create_for(
                session,
                env.registry["modules"],
                args.username,
                args.name,
                None if args.no_expiry else args.expires_days,
                args.permissions,
            )
            print(
                f"token {token.id} ({token.name}) for {args.username}, expires "
                f"{_stamp(token.expires_at) if token.expires_at else 'never'}, "
                f"{len(token.permissions)} permissions; it is shown only once:",
                file=sys.stderr,
            )
            print(raw)
        elif args.action == "list":
            for token in tokens_of(session, args.username):
                print(
                    f"{token.id:<6} {token.name[:30]:<30} {token.prefix:<12} "
                    f"created {_stamp(token.created_at)}  expires {_stamp(token.expires_at)}  "
                    f"last used {_stamp(token.last_used_at)}  {state(token)}"
                )
        else:
            token = revoke_by_id(session, args.id)
            print(f"revoked token {token.id} ({token.name})")
    return 0
