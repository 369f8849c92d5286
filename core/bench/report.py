"""Summaries of a bench run: the printed tables and the JSON file kept for comparison.

Load scenarios give latency and throughput rows (:class:`Row`); batch scenarios,
run once each, give rows processed, seconds and the server's peak memory
(:class:`BatchRow`).
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.bench.runner import Recording, Timings

FLOOR = "floor"


@dataclass
class Row:
    """One line of the table: a scenario (or one of its requests) over the measured window."""

    scenario: str
    requests: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: int
    floor_ratio: float | None = None


@dataclass
class BatchRow:
    """One batch scenario: ``rows`` in ``seconds``; the server's peak memory when started here."""

    scenario: str
    rows: int
    seconds: float
    rows_per_s: float
    peak_mb: float | None = None
    errors: int = 0


def batch_row(scenario: str, rows: int, seconds: float, peak_mb: float | None = None) -> BatchRow:
    """The row of a batch that did ``rows`` in ``seconds``."""
    rate = round(rows / seconds, 1) if seconds else 0.0
    return BatchRow(scenario, rows, round(seconds, 2), rate, peak_mb)


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(label: str, timings: Timings, seconds: float) -> Row:
    """The row of ``timings`` measured over ``seconds``."""
    ordered = sorted(timings.latencies)
    return Row(
        scenario=label,
        requests=len(ordered),
        rps=round(len(ordered) / seconds, 1) if seconds else 0.0,
        p50=round(percentile(ordered, 0.50), 1),
        p95=round(percentile(ordered, 0.95), 1),
        p99=round(percentile(ordered, 0.99), 1),
        max=round(ordered[-1], 1) if ordered else 0.0,
        errors=timings.errors,
    )


def rows_of(recording: Recording, seconds: float, total: str | None = None) -> list[Row]:
    """A row per label; with ``total`` a last row over every request of the recording."""
    rows = [summarise(label, timings, seconds) for label, timings in recording.labels.items()]
    if total is not None:
        everything = Timings(
            [ms for timings in recording.labels.values() for ms in timings.latencies],
            sum(timings.errors for timings in recording.labels.values()),
        )
        rows.append(summarise(total, everything, seconds))
    return rows


def add_floor_ratios(rows: list[Row]) -> None:
    """Each row's throughput as a share of the floor's (``/healthz``) on the same server."""
    floor = next((row for row in rows if row.scenario == FLOOR), None)
    if floor is None or not floor.rps:
        return
    for row in rows:
        row.floor_ratio = round(row.rps / floor.rps, 3)


def _aligned(header: tuple[str, ...], lines: list[tuple[str, ...]]) -> str:
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in [header, *lines]
    )


def batch_table(rows: list[BatchRow]) -> str:
    """The batch rows as an aligned text table."""
    header = ("batch", "rows", "seconds", "rows/s", "peak MB", "errors")
    lines = [
        (
            row.scenario, str(row.rows), f"{row.seconds:.2f}", f"{row.rows_per_s:.0f}",
            "" if row.peak_mb is None else f"{row.peak_mb:.0f}", str(row.errors),
        )
        for row in rows
    ]  # fmt: skip
    return _aligned(header, lines)


def table(rows: list[Row]) -> str:
    """The rows as an aligned text table."""
    header = (
        "scenario",
        "requests",
        "rps",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "÷floor",
    )
    lines = [
        (
            row.scenario, str(row.requests), f"{row.rps:.1f}", f"{row.p50:.1f}", f"{row.p95:.1f}",
            f"{row.p99:.1f}", f"{row.max:.1f}", str(row.errors),
            "" if row.floor_ratio is None else f"{row.floor_ratio:.2f}",
        )
        for row in rows
    ]  # fmt: skip
    return _aligned(header, lines)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def write_json(
    path: Path, rows: list[Row], settings: dict[str, Any], batches: list[BatchRow] | None = None
) -> None:
    """Write the run's settings, the machine and the rows (``results``, ``batches``) to ``path``."""
    document = {
        "settings": settings,
        "machine": machine(),
        "results": [asdict(row) for row in rows],
        "batches": [asdict(row) for row in batches or []],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
