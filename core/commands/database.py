"""``guanxi migrate`` and ``guanxi demo``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli import command
from core.demo import LOCALES


@command("migrate", "create or upgrade the tables of the core and every installed module")
def migrate(args: argparse.Namespace, env: Any) -> int:
    """Upgrade every branch, record new modules and refresh default grants."""
    from core.setup import prepare_database

    prepare_database(env.registry, env.registry["dbsession_factory"])
    print("database is up to date")
    return 0


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--first-run", action="store_true", help="do nothing when the database already has users"
    )
    parser.add_argument(
        "--locale",
        choices=LOCALES,
        default=LOCALES[0],
        help="language of the demo names (default: %(default)s)",
    )


@command("demo", "create the first administrator and load demo data", _demo_arguments)
def demo(args: argparse.Namespace, env: Any) -> int:
    """Create ``admin`` with a random password, then the demo users and records."""
    from core.demo import load_demo
    from core.setup import ADMIN_PASSWORD_FILE, create_first_admin

    var_dir = Path(env.settings["guanxi.var_dir"])
    password_file = var_dir / ADMIN_PASSWORD_FILE
    with env.session() as session:
        password = create_first_admin(session, var_dir)
        if password is None and args.first_run:
            where = f"; the first password is in {password_file}" if password_file.exists() else ""
            print(f"existing database kept{where}")
            return 0
        if load_demo(session, env.registry, args.locale) is None:
            print("the demo data is already loaded; nothing changed")
    if password:
        print("=" * 64)
        print(f"Guanxi CRM: log in at {env.settings['guanxi.base_url']}")
        print("  username: admin")
        print(f"  password: {password}")
        print(f"(written to {password_file}, readable only by you)")
        print("=" * 64)
    return 0


def _revision_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("branch", help="core or a module name")
    parser.add_argument("-m", "--message", required=True, help="what the revision changes")


@command("revision", "autogenerate a migration for the core or one module", _revision_arguments)
def revision(args: argparse.Namespace, env: Any) -> int:
    """Compare the models of ``branch`` with the migrated database and write a revision."""
    from core.cli import CommandError
    from core.migrate import new_revision, upgrade

    modules = env.registry["modules"]
    if args.branch != "core" and args.branch not in modules.modules:
        raise CommandError(f"no module called {args.branch} is installed")
    upgrade(env.registry["dbengine"], modules, core_only=args.branch == "core")
    script = new_revision(env.registry["dbengine"], modules, args.branch, args.message)
    print(f"wrote {script.path}")
    return 0
