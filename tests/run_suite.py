"""Run the whole test suite: on SQLite, then on a throwaway PostgreSQL cluster.

``make test`` calls this.  PostgreSQL comes from ``GUANXI_TEST_DATABASE_URL`` when
set; otherwise a temporary cluster is started with the machine's ``initdb`` and
``pg_ctl`` (as the ``postgres`` user when running as root).  When that is not
possible the PostgreSQL run is skipped with the reason printed, unless
``GUANXI_REQUIRE_PG=1``, which turns the skip into a failure.  Browser tests run
in the SQLite pass; ``GUANXI_REQUIRE_BROWSER=1`` makes a missing Chromium fail.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_TESTS_COLLECTED = 5


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def pytest(label: str, extra_env: dict[str, str], args: list[str]) -> int:
    """Run pytest; exit code 5 (nothing collected) counts as a failure."""
    print(f"\n===== test suite on {label} =====", flush=True)
    env = {**os.environ, **extra_env}
    workers = ["-n", os.environ.get("GUANXI_TEST_WORKERS", "2")]
    code = subprocess.call([sys.executable, "-m", "pytest", *workers, *args], cwd=ROOT, env=env)
    if code == NO_TESTS_COLLECTED:
        print(f"no tests ran on {label}: that is a failure", flush=True)
        return 1
    return code


def find_pg_bin(name: str) -> str | None:
    """``initdb``/``pg_ctl`` from PATH or the Debian PostgreSQL folders."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = shutil.which(name)
    for path in [*candidates, found]:
        if path and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a temporary PostgreSQL cluster; yield its SQLAlchemy URL; stop and delete it."""
    initdb, pg_ctl = find_pg_bin("initdb"), find_pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(
            "initdb/pg_ctl not found (install PostgreSQL or set GUANXI_TEST_DATABASE_URL)"
        )
    as_user: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="guanxi-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(workdir, "postgres", "postgres")
    data = workdir / "data"
    port = free_port()
    log = workdir / "server.log"
    try:
        subprocess.run(
            [
                *as_user,
                initdb,
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--locale=C.UTF-8",
                "-E",
                "UTF8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if data.exists():
            subprocess.run(
                [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    args = sys.argv[1:]
    failures = 0
    failures += pytest("SQLite", {}, args) != 0

    given = os.environ.get("GUANXI_TEST_DATABASE_URL")
    pg_args = ["-m", "not browser", *args]
    if given:
        failures += pytest("PostgreSQL", {}, pg_args) != 0
    else:
        try:
            with throwaway_postgres() as url:
                failures += pytest("PostgreSQL", {"GUANXI_TEST_DATABASE_URL": url}, pg_args) != 0
        except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
            if required("GUANXI_REQUIRE_PG"):
                print(f"\nPostgreSQL run FAILED to start: {exc}", flush=True)
                failures += 1
            else:
                print(f"\nSKIPPED the PostgreSQL run: {exc}", flush=True)
    print("\n===== all suites passed =====" if not failures else "\n===== FAILED =====")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
