"""``guanxi reindex [NAME ...]``: rebuild the search index entries the modules offer."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli import CommandError, command


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="what to reindex, e.g. customers (default: all)"
    )


def rebuilders(session: Any, registry: Any) -> dict[str, Any]:
    """``{name: rebuild}`` offered by the enabled modules (``guanxi_search_rebuilders``)."""
    modules = registry["modules"]
    found: dict[str, Any] = {}
    for offered in modules.hooks(
        modules.enabled_names(session, fresh=True)
    ).guanxi_search_rebuilders():
        found.update(offered)
    return found


@command("reindex", "rebuild the search index (of customers, contacts …)", _arguments)
def reindex(args: argparse.Namespace, env: Any) -> int:
    """Recompute every entry of the chosen kinds in batches, printing the progress."""
    with env.session() as session:
        available = rebuilders(session, env.registry)
        unknown = sorted(set(args.names) - set(available))
        if unknown:
            offered = ", ".join(sorted(available)) or "nothing"
            raise CommandError(f"cannot reindex {', '.join(unknown)}; available: {offered}")
        for name in args.names or sorted(available):

            def progress(done: int, name: str = name) -> None:
                print(f"{name}: {done} indexed", flush=True)

            total = available[name](session, progress)
            print(f"{name}: done, {total} entries")
    return 0
