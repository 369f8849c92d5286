"""Drive scenarios against a server: one at a time (closed loop) or the mixed load of many users.

Closed loop: ``concurrency`` virtual users run the scenario back to back for
``duration`` seconds, each operation as a randomly chosen login the scenario
allows.  Mixed load: ``users`` virtual users, each a login of its own, start
operations at random (exponential) intervals so that together they make about
``rate`` operations a second: 70 % reads, 20 % searches, 10 % writes.  Batch:
the scenario runs once, as the first login it allows, and times itself.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.bench.batch import BatchResult
from core.bench.client import BenchFailure, BenchUser, Connection, Login, log_in
from core.contributions import BenchScenario

#: Share of the mixed load's operations by scenario kind.
MIX = {"read": 70, "search": 20, "write": 10}


@dataclass
class Timings:
    """Latencies (ms) and error count of one label."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass
class Recording:
    """Every timed request of a run, by label, counted only while ``active``."""

    labels: dict[str, Timings] = field(default_factory=dict)
    active: bool = True
    failures: list[str] = field(default_factory=list)

    def record(self, label: str, milliseconds: float, ok: bool) -> None:
        if not self.active:
            return
        timings = self.labels.setdefault(label, Timings())
        timings.latencies.append(milliseconds)
        if not ok:
            timings.errors += 1

    def failed(self, label: str, message: str, counted: bool) -> None:
        """Keep the first messages; ``counted`` adds an error no request recorded."""
        if not self.active:
            return
        if counted:
            self.labels.setdefault(label, Timings()).errors += 1
        if len(self.failures) < 20:
            self.failures.append(message)


@dataclass(frozen=True)
class Target:
    """Where the server listens and who logs in."""

    host: str
    port: int
    logins: Sequence[Login]
    password: str


async def log_in_all(target: Target) -> None:
    """Log every login in, a few at a time (password hashing is slow on purpose)."""
    semaphore = asyncio.Semaphore(4)

    async def one(login: Login) -> None:
        async with semaphore:
            connection = Connection(target.host, target.port)
            try:
                await log_in(connection, login, target.password)
            finally:
                connection.close()

    await asyncio.gather(*(one(login) for login in target.logins))


def allowed(scenario: BenchScenario, logins: Sequence[Login]) -> list[Login]:
    """The logins whose role may run ``scenario``."""
    return [login for login in logins if not scenario.roles or login.role in scenario.roles]


async def run_batch(target: Target, scenario: BenchScenario, data: Any, seed: int) -> BatchResult:
    """Run a ``batch`` scenario once; what it timed.  Raises :class:`BenchFailure`."""
    logins = allowed(scenario, target.logins)
    if not logins:
        raise ValueError(f"no generated user may run {scenario.name}")
    connection = Connection(target.host, target.port)
    user = BenchUser(connection, logins[0], random.Random(seed), lambda label, ms, ok: None)
    user.label = scenario.name
    try:
        result = await scenario.run(user, data)
    finally:
        connection.close()
    if not isinstance(result, BatchResult):
        raise TypeError(f"{scenario.name} returned {result!r}, not a BatchResult")
    return result


async def _measure_after(warmup: float, recording: Recording) -> None:
    """Let the first ``warmup`` seconds pass unrecorded (connections, caches warming)."""
    await asyncio.sleep(warmup)
    recording.active = True


async def _operation(
    user: BenchUser, scenario: BenchScenario, data: Any, recording: Recording
) -> None:
    user.label = scenario.name
    try:
        await scenario.run(user, data)
    except BenchFailure as exc:  # a failed request counted already; a wrong answer not
        recording.failed(scenario.name, f"{scenario.name}: {exc}", counted=not exc.recorded)
    except Exception as exc:  # a page without what the scenario needs
        recording.failed(scenario.name, f"{scenario.name}: {exc!r}", counted=True)


async def run_closed(
    target: Target, scenario: BenchScenario, data: Any, duration: float, concurrency: int,
    seed: int, warmup: float = 1.0,
) -> Recording:  # fmt: skip
    """``concurrency`` users running ``scenario`` back to back for ``duration`` seconds."""
    recording = Recording(active=False)
    logins = allowed(scenario, target.logins)
    if not logins:
        raise ValueError(f"no generated user may run {scenario.name}")
    deadline = time.monotonic() + warmup + duration

    async def virtual_user(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        connection = Connection(target.host, target.port)
        try:
            while time.monotonic() < deadline:
                user = BenchUser(connection, rng.choice(logins), rng, recording.record)
                await _operation(user, scenario, data, recording)
        finally:
            connection.close()

    await asyncio.gather(_measure_after(warmup, recording), *map(virtual_user, range(concurrency)))
    return recording


def _mix(scenarios: Sequence[BenchScenario], login: Login) -> dict[str, list[BenchScenario]]:
    by_kind: dict[str, list[BenchScenario]] = {}
    for scenario in scenarios:
        if scenario.kind in MIX and (not scenario.roles or login.role in scenario.roles):
            by_kind.setdefault(scenario.kind, []).append(scenario)
    return by_kind


async def run_mixed(
    target: Target, scenarios: Sequence[BenchScenario], data: dict[str, Any], duration: float,
    users: int, rate: float, seed: int, warmup: float = 2.0,
) -> Recording:  # fmt: skip
    """``users`` virtual users making about ``rate`` operations a second between them.

    Each user is one of the logins (roles and scopes alternate) and waits an
    exponential think time between starting operations.  A user whose role may
    not write (or search) reads instead.
    """
    recording = Recording(active=False)
    deadline = time.monotonic() + warmup + duration
    mean_gap = users / rate

    async def virtual_user(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        login = target.logins[number % len(target.logins)]
        choices = _mix(scenarios, login)
        if not choices:
            return
        kinds = {kind: weight for kind, weight in MIX.items() if kind in choices}
        connection = Connection(target.host, target.port)
        user = BenchUser(connection, login, rng, recording.record)
        await asyncio.sleep(rng.uniform(0, mean_gap))  # no stampede at the start
        try:
            while (now := time.monotonic()) < deadline:
                kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
                scenario = rng.choice(choices[kind])
                await _operation(user, scenario, data.get(scenario.name), recording)
                pause = rng.expovariate(1 / mean_gap) - (time.monotonic() - now)
                if pause > 0:
                    await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        finally:
            connection.close()

    await asyncio.gather(_measure_after(warmup, recording), *map(virtual_user, range(users)))
    return recording
