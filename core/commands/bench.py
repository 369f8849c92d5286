"""``guanxi bench``: run named load scenarios and print (and save) latency and throughput."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from core.cli import CommandError, command

MIXED = "mixed"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="a running server (default: start one on a free port)")
    parser.add_argument(
        "--scenarios",
        default="",
        help="comma-separated names, 'mixed' for the mixed load (default: all but batch ones)",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=1, help="users per single scenario")
    parser.add_argument("--users", type=int, default=500, help="users of the mixed load")
    parser.add_argument("--rate", type=float, default=200.0, help="operations/s of the mixed load")
    parser.add_argument("--workers", type=int, default=2, help="server processes started here")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=100_000,
        help="rows of the batch scenarios' generated files, e.g. imports (default 100000)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")


def _chosen(args: argparse.Namespace, available: dict[str, Any]) -> list[str]:
    names = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    if not names:
        return [name for name, s in available.items() if s.kind != "batch"] + [MIXED]
    unknown = [name for name in names if name != MIXED and name not in available]
    if unknown:
        offered = ", ".join([*sorted(available), MIXED])
        raise CommandError(f"unknown scenario(s) {', '.join(unknown)}; available: {offered}")
    return names


def _prepared(env: Any, scenarios: list[Any], options: Any) -> dict[str, Any]:
    """What each scenario's ``prepare`` sampled from the database (read-only) or wrote."""
    session = env.registry["dbsession_factory"]()
    samples: dict[Any, Any] = {}  # scenarios sharing a prepare function share its sample
    try:
        for scenario in scenarios:
            if scenario.prepare is not None and scenario.prepare not in samples:
                if scenario.kind == "batch":
                    print(f"preparing {scenario.name}", flush=True)
                samples[scenario.prepare] = scenario.prepare(session, options)
        return {s.name: samples.get(s.prepare) for s in scenarios}
    finally:
        session.rollback()
        session.close()


async def _batch(
    args: argparse.Namespace, target: Any, scenario: Any, data: Any, server: Any
) -> Any:
    """Run a batch scenario once: its row, with the server's peak memory when it runs here."""
    from core.bench.client import BenchFailure
    from core.bench.report import BatchRow, batch_row
    from core.bench.runner import run_batch

    print(f"running {scenario.name} once", flush=True)
    if server is not None:
        server.reset_peak_memory()
    try:
        result = await run_batch(target, scenario, data, args.seed)
    except BenchFailure as failure:
        print(f"  error: {failure}", flush=True)
        return BatchRow(scenario.name, 0, 0.0, 0.0, errors=1)
    peak = server.peak_memory_mb() if server is not None else None
    return batch_row(scenario.name, result.rows, result.seconds, peak)


async def _run(
    args: argparse.Namespace,
    target: Any,
    scenarios: dict[str, Any],
    names: list[str],
    data: dict[str, Any],
    server: Any,
) -> tuple[list[Any], list[Any]]:
    from core.bench.report import rows_of
    from core.bench.runner import MIX, log_in_all, run_closed, run_mixed

    await log_in_all(target)
    rows, batches = [], []
    for name in names:
        if name != MIXED and scenarios[name].kind == "batch":
            batches.append(await _batch(args, target, scenarios[name], data[name], server))
            continue
        if name == MIXED:
            mixed = [s for s in scenarios.values() if s.kind in MIX]
            print(
                f"running {MIXED}: {args.users} users, {args.rate:g} operations/s, "
                f"{args.duration:g} s",
                flush=True,
            )
            recording = await run_mixed(
                target, mixed, data, args.duration, args.users, args.rate, args.seed
            )
            found = rows_of(recording, args.duration, total=f"{MIXED} (all)")
            for row in found[:-1]:
                row.scenario = f"{MIXED}: {row.scenario}"
        else:
            print(f"running {name} for {args.duration:g} s", flush=True)
            recording = await run_closed(
                target, scenarios[name], data[name], args.duration, args.concurrency, args.seed
            )
            found = rows_of(recording, args.duration)
        rows += found
        for failure in recording.failures[:3]:
            print(f"  error: {failure}", flush=True)
    return rows, batches


@command("bench", "measure latency and throughput of named scenarios", _arguments)
def bench(args: argparse.Namespace, env: Any) -> int:
    """Sample data, log the generated users in, run the scenarios and report."""
    from core.bench import report
    from core.bench import scenarios as catalogue
    from core.bench.client import split_url
    from core.bench.runner import Target
    from core.bench.server import served
    from core.contributions import BenchOptions

    registry = env.registry
    modules = registry["modules"]
    session = registry["dbsession_factory"]()
    try:
        available = catalogue.collect(modules.hooks(modules.enabled_names(session)))
        logins = catalogue.logins(session)
    finally:
        session.close()
    if args.list:
        for name, scenario in available.items():
            print(f"{name:28} {scenario.kind:7} {scenario.description}")
        print(f"{MIXED:28} {'mix':7} read/search/write scenarios by {args.users} users")
        return 0
    names = _chosen(args, available)
    if args.batch_rows < 1:
        raise CommandError("--batch-rows must be at least 1")
    if not logins:
        raise CommandError("no generated users: run guanxi generate --customers N first")
    try:
        password = catalogue.bench_password(Path(env.settings["guanxi.var_dir"]))
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from None
    used = {
        s.name: s
        for s in available.values()
        if s.name in names or (MIXED in names and s.kind in ("read", "search", "write"))
    }
    server = (
        contextlib.nullcontext(None)
        if args.url
        else served(args.config, args.workers, args.threads)
    )
    try:
        with tempfile.TemporaryDirectory(prefix="guanxi-bench-") as folder:
            options = BenchOptions(batch_rows=args.batch_rows, folder=Path(folder), seed=args.seed)
            data = _prepared(env, list(used.values()), options)
            with server as started:
                host, port = split_url(started.url if started else args.url)
                target = Target(host, port, logins, password)
                rows, batches = asyncio.run(_run(args, target, available, names, data, started))
    except (RuntimeError, ValueError, OSError) as exc:
        raise CommandError(f"the bench could not run: {exc}") from None
    report.add_floor_ratios(rows)
    if rows:
        print(report.table(rows))
    if batches:
        print(report.batch_table(batches))
    if args.json:
        settings = {
            key: value
            for key, value in vars(args).items()
            if key not in ("handler", "json", "list")
        }
        settings.update(url=args.url or "started here", database=registry["dbengine"].dialect.name)
        report.write_json(args.json, rows, settings, batches)
        print(f"wrote {args.json}")
    return 1 if any(row.errors for row in [*rows, *batches]) else 0
