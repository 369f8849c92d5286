"""``guanxi generate``: benchmark data in realistic proportions, through the bulk paths."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from core.cli import CommandError, command

DEFAULT_SEED = 20261208


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=int, required=True, help="how many customers to add")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same data")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes building rows (default %(default)s)"
    )


@command(
    "generate", "fill the database with benchmark data (users, customers, history …)", _arguments
)
def generate(args: argparse.Namespace, env: Any) -> int:
    """Create the teams and users, then let every enabled module add its records."""
    from core.audit import Actor
    from core.db import utcnow
    from core.generate import (
        BENCH_PASSWORD_FILE,
        DataPlan,
        bench_users_exist,
        create_people,
        run_generators,
    )
    from core.records import collect_record_types

    if args.customers < 1:
        raise CommandError("--customers must be at least 1")
    started = time.monotonic()

    def progress(what: str, done: int) -> None:
        elapsed = time.monotonic() - started
        print(f"{what}: {done:,} ({elapsed:.0f} s)", flush=True)

    registry = env.registry
    var_dir = Path(env.settings["guanxi.var_dir"])
    session = registry["dbsession_factory"]()
    session.info["actor"] = Actor(kind="cli")
    try:
        if bench_users_exist(session):
            raise CommandError("this database already has generated data; use a fresh one")
        users = create_people(session, args.customers, args.seed, var_dir)
        session.commit()
        print(f"users: {len(users)} in teams; password in {var_dir / BENCH_PASSWORD_FILE}")
        modules = registry["modules"]
        plan = DataPlan(
            customers=args.customers,
            seed=args.seed,
            users=users,
            record_types=collect_record_types(modules.hooks(modules.enabled_names(session))),
            now=utcnow(),
            workers=args.workers,
            progress=progress,
        )
        called = run_generators(registry, session, plan)
        session.commit()
    finally:
        session.close()
    print(f"done in {time.monotonic() - started:.0f} s ({', '.join(called) or 'no module'})")
    return 0
