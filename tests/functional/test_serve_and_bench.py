"""``guanxi serve --workers`` and ``guanxi bench`` as an operator runs them, on a small database.

Both start real processes: the pre-forked server answers from more than one
process, and the bench (a separate load process) runs scenarios end to end and
writes a JSON report.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.bench.server import free_port, wait_until_up
from core.generate import generate_all
from core.testing import build_app, fresh_database_url

MAIN = "import sys; from core.cli import main; sys.exit(main())"
REQUESTS = 400


@pytest.fixture(scope="module")
def served_database(tmp_path_factory):
    """A committed database with generated data, and the environment that points at it."""
    directory = tmp_path_factory.mktemp("bench")
    url = fresh_database_url(directory, "bench")
    var_dir = directory / "var"
    registry = build_app(url, var_dir).registry
    generate_all(registry, customers=300, seed=3, workers=1, var_dir=var_dir)
    registry["dbengine"].dispose()
    return {
        **os.environ,
        "GUANXI_DATABASE_URL": url,
        "GUANXI_VAR_DIR": str(var_dir),
        "GUANXI_SECRET_KEY": "bench-test-secret",
    }


def guanxi(env, *args, **kw):
    """Run the ``guanxi`` command with a config file that does not exist (environment only)."""
    command = [sys.executable, "-c", MAIN, "-c", "none.ini", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, **kw)


def test_serve_workers_answer_from_several_processes(served_database):
    port = free_port()
    command = [
        sys.executable,
        "-c",
        MAIN,
        "-c",
        "none.ini",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    server = subprocess.Popen(command, env=served_database, stdout=subprocess.DEVNULL)
    try:
        wait_until_up("127.0.0.1", port, server)

        def ask(_n):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            return response.status, json.loads(response.read())["process"]

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, range(REQUESTS)))
        assert {status for status, _pid in answers} == {200}
        processes = {pid for _status, pid in answers}
        assert server.pid not in processes  # the parent only forks and waits
        assert len(processes) == 2, processes
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert server.returncode == 0


def test_bench_runs_scenarios_end_to_end_and_writes_json(served_database, tmp_path):
    report = tmp_path / "bench.json"
    reads = ["floor", "customers.list", "customers.list_tag", "customers.search_2chars"]
    scenarios = ",".join(
        [*reads, "customers.page", "customers.create", "customers.update", "mixed"]
    )
    result = guanxi(
        served_database, "bench", "--scenarios", scenarios, "--duration", "1", "--users", "6",
        "--rate", "12", "--json", str(report), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scenario" in result.stdout and "p95 ms" in result.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    rows = {row["scenario"]: row for row in document["results"]}
    for name in (
        "floor",
        "customers.list",
        "customers.search_2chars",
        "customers.create",
        "mixed (all)",
    ):
        assert rows[name]["requests"] > 0, name
        assert rows[name]["errors"] == 0, name
        assert 0 < rows[name]["p50"] <= rows[name]["p95"] <= rows[name]["p99"], name
    assert rows["floor"]["floor_ratio"] == 1.0
    assert rows["customers.list"]["floor_ratio"] > 0
    assert document["settings"]["database"] in ("sqlite", "postgresql")
    assert document["machine"]["cpus"] >= 1


def test_bench_refuses_unknown_scenarios(served_database):
    result = guanxi(served_database, "bench", "--scenarios", "customers.nothing", timeout=120)
    assert result.returncode == 2
    assert "unknown scenario" in result.stderr and "customers.list" in result.stderr
