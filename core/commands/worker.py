"""``guanxi worker``: the Huey consumer that sends mail and runs periodic jobs."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from core.cli import CommandError, command


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="run one tick (outbox and due jobs) and exit"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")


@command("worker", "run background and periodic jobs (Huey consumer)", _arguments)
def worker(args: argparse.Namespace, env: Any) -> int:
    """Run the consumer until stopped, or with ``--once`` a single tick."""
    from huey.exceptions import ConfigurationError

    from core.jobs import build_worker, run_tick

    if args.once:
        report = run_tick(env.registry)
        print(
            f"mail sent: {report.mail_sent}; jobs run: {', '.join(report.ran) or '-'}; "
            f"failed: {', '.join(report.failed) or '-'}"
        )
        return 1 if report.failed else 0
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    try:
        huey = build_worker(env.registry)
    except ConfigurationError as exc:  # e.g. guanxi.redis_url set but redis not installed
        raise CommandError(str(exc)) from exc
    if not logging.getLogger().handlers:  # no [loggers] in the ini file: log to stderr
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    huey.create_consumer(workers=args.workers, worker_type="thread", periodic=True).run()
    return 0
