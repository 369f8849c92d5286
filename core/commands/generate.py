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
    from core.generate import BENCH_PASSWORD_FILE, AlreadyGenerated, generate_all

    if args.customers < 1:
        raise CommandError("--customers must be at least 1")
    started = time.monotonic()

    def progress(what: str, done: int) -> None:
        print(f"{what}: {done:,} ({time.monotonic() - started:.0f} s)", flush=True)

    var_dir = Path(env.settings["guanxi.var_dir"])
    try:
        _users, called = generate_all(
            env.registry, args.customers, args.seed, args.workers, var_dir, progress
        )
    except AlreadyGenerated:
        raise CommandError("this database already has generated data; use a fresh one") from None
    print(f"password of the generated users: {var_dir / BENCH_PASSWORD_FILE}")
    print(f"done in {time.monotonic() - started:.0f} s ({', '.join(called) or 'no module'})")
    return 0
