"""The ``guanxi`` command: serve, migrate, demo data, modules, users, teams, tokens, keys."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = "development.ini"
Handler = Callable[[argparse.Namespace, Any], int]


class CommandError(Exception):
    """A command failed in a way the user can fix; the message says how."""


def load_app(config_path: str) -> Any:
    """The WSGI app configured by the ini file (``GUANXI_*`` variables still override)."""
    from pyramid.paster import get_appsettings, setup_logging

    from core import make_app

    path = Path(config_path)
    if path.exists():
        setup_logging(str(path))
        settings = dict(get_appsettings(str(path), name="main"))
        settings.setdefault("guanxi.var_dir", str((path.parent / "var").resolve()))
    else:
        settings = {}
    return make_app(settings)


class Env:
    """What a command works with: the app's registry and its session factory."""

    def __init__(self, config_path: str) -> None:
        self._config_path = config_path
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            self._app = load_app(self._config_path)
        return self._app

    @property
    def registry(self) -> Any:
        return self.app.registry

    @property
    def settings(self) -> dict[str, Any]:
        return self.registry.settings

    def session(self) -> Any:
        """A transactional session acting as the CLI."""
        from core.audit import Actor
        from core.db import session_scope

        return session_scope(self.registry["dbsession_factory"], Actor(kind="cli"))


COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, str]] = {}


def command(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] | None = None
) -> Callable[[Handler], Handler]:
    """Register ``run(args, env)`` as the subcommand ``name``; ``configure`` adds arguments."""

    def decorator(handler: Handler) -> Handler:
        COMMANDS[name] = (configure or (lambda parser: None), handler, help_text)
        return handler

    return decorator


def build_parser() -> argparse.ArgumentParser:
    """The parser with every registered subcommand."""
    import core.commands  # noqa: F401  (registers the subcommands)

    parser = argparse.ArgumentParser(prog="guanxi", description="Guanxi CRM command line")
    parser.add_argument(
        "-c",
        "--config",
        default=os.environ.get("GUANXI_CONFIG", DEFAULT_CONFIG),
        help="ini file with the settings (default: %(default)s)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (configure, handler, help_text) in sorted(COMMANDS.items()):
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        configure(sub)
        sub.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``guanxi`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, Env(args.config)) or 0
    except CommandError as exc:
        print(f"guanxi: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
