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


def live_customers(env):
    from sqlalchemy import create_engine, text

    engine = create_engine(env["GUANXI_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.scalar(
                text("SELECT count(*) FROM customers WHERE deleted_at IS NULL")
            )
    finally:
        engine.dispose()


BATCHES = "customers.import_csv,customers.import_xlsx,customers.export_csv"


def test_bench_batch_scenarios_import_undo_and_export_through_the_api(served_database, tmp_path):
    report = tmp_path / "batch.json"
    before = live_customers(served_database)
    result = guanxi(
        served_database, "bench", "--scenarios", BATCHES, "--batch-rows", "300",
        "--json", str(report), timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rows/s" in result.stdout and "peak MB" in result.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["results"] == []
    batches = {row["scenario"]: row for row in document["batches"]}
    assert set(batches) == set(BATCHES.split(","))
    for name in ("customers.import_csv", "customers.import_xlsx"):
        assert batches[name]["rows"] == 300, name  # every row created (and failed == 0)
    assert batches["customers.export_csv"]["rows"] == before
    for row in batches.values():
        assert row["errors"] == 0
        assert row["seconds"] > 0 and row["rows_per_s"] > 0
        assert row["peak_mb"] > 10  # the server's workers, started by the bench
    assert live_customers(served_database) == before  # both imports were undone


def test_bench_batch_export_follows_a_background_job(served_database):
    env = {**served_database, "GUANXI_EXPORT_DIRECT_ROWS": "100"}
    result = guanxi(env, "bench", "--scenarios", "customers.export_csv", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("customers.export"))
    assert line.split()[1] == str(live_customers(served_database))


def test_batch_scenarios_only_run_when_named(served_database):
    result = guanxi(served_database, "bench", "--list", timeout=120)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
    assert {listed[name] for name in BATCHES.split(",")} == {"batch"}
    from core.commands.bench import _chosen

    class Args:
        scenarios = ""

    available = {name: type("S", (), {"kind": kind}) for name, kind in listed.items()}
    chosen = _chosen(Args, available)
    assert "customers.list" in chosen
    assert not set(BATCHES.split(",")) & set(chosen)
