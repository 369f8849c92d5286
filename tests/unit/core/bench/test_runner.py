"""How the bench counts a scenario's failures."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from core.bench.client import BenchFailure
from core.bench.runner import Recording, _operation
from core.contributions import BenchScenario


def failing(recorded: bool) -> BenchScenario:
    async def run(user, data):  # type: ignore[no-untyped-def]
        raise BenchFailure("the form came back without saving", recorded=recorded)

    return BenchScenario("customers.create", "write", run)


class User:
    label = ""


def run(coroutine) -> None:  # type: ignore[no-untyped-def]
    """Run ``coroutine`` in a thread of its own (a browser test may hold this one's loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_a_wrong_answer_counts_as_an_error_and_a_failed_request_only_once() -> None:
    recording = Recording()
    run(_operation(User(), failing(recorded=False), None, recording))  # type: ignore[arg-type]
    run(_operation(User(), failing(recorded=True), None, recording))  # type: ignore[arg-type]
    assert recording.labels["customers.create"].errors == 1
    assert len(recording.failures) == 2
