"""Measure imports and exports end to end, on SQLite and on PostgreSQL.

    .venv/bin/python tests/perf/measure.py --rows 100000            # SQLite in a temp folder
    .venv/bin/python tests/perf/measure.py --rows 100000 --postgres # a throwaway cluster
    .venv/bin/python tests/perf/measure.py --export-rows 1000000    # add the big export

Each step runs the real command (``guanxi import`` / ``guanxi export`` with
``--stats``) in a fresh process under ``/usr/bin/time -v``, on a fresh
database: generated customers (``generate_customers.py``) are imported from a
GB18030 CSV file and from an XLSX workbook, then the customers (topped up to
``--export-rows`` with rows inserted directly) are exported to CSV.  Prints
rows per second and the peak memory of each process.  Not a test: pytest does
not collect it, and the figures depend on the machine (and on what else runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from core.testing import Factory, build_app  # noqa: E402
from tests.run_suite import throwaway_postgres  # noqa: E402

GUANXI = str(Path(sys.executable).with_name("guanxi"))
USER = "bench"
SEED_BATCH = 20_000


def run(command: list[str], env: dict[str, str]) -> dict[str, str]:
    """Run ``command`` under ``/usr/bin/time -v``; its summary, rate and peak memory."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command], env=env, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    if result.returncode not in (0, 1):
        raise SystemExit(output)
    stats = re.search(r"rows (\d+) in ([\d.]+) s \((\d+) rows/s\)", output)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", output)
    summary = next(
        (line for line in result.stdout.splitlines() if line.startswith(("created", "exported"))),
        "",
    )
    return {
        "summary": summary,
        "seconds": stats.group(2) if stats else "?",
        "rate": stats.group(3) if stats else "?",
        "peak_mb": f"{int(peak.group(1)) / 1024:.0f}" if peak else "?",
    }


def prepare(url: str, var_dir: Path) -> None:
    """A migrated database with the user ``bench`` (an administrator)."""
    app = build_app(url, var_dir)
    factory = app.registry["dbsession_factory"]
    session = factory()
    if session.scalar(text("SELECT count(*) FROM users WHERE username = :u"), {"u": USER}) == 0:
        Factory(session).user(USER, role="admin")
    session.commit()
    session.close()
    app.registry["dbengine"].dispose()


def seed(url: str, wanted: int) -> int:
    """Top the customers up to ``wanted`` with plain inserts (export input); how many now."""
    from plugins.customers.models import Customer

    engine = create_engine(url)
    table = Customer.__table__
    with engine.begin() as connection:
        have = connection.scalar(select(func.count()).select_from(table)) or 0
        owner = connection.scalar(text("SELECT id FROM users WHERE username = :u"), {"u": USER})
        now = dt.datetime.now(dt.UTC)
        for start in range(have, wanted, SEED_BATCH):
            rows = [
                {
                    "code": f"S{number:09d}",
                    "name": f"上海华东精密机械有限公司{number}",
                    "kind": "company",
                    "level": "normal",
                    "status": "active" if number % 3 else "potential",
                    "owner_id": owner,
                    "province_code": "31",
                    "city_code": "3101",
                    "phone": f"+86138{number:08d}",
                    "email": f"sales{number}@example.cn",
                    "notes": "=1+1" if number % 1000 == 0 else "",
                    "custom": {},
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for number in range(start, min(start + SEED_BATCH, wanted))
            ]
            connection.execute(insert(table), rows)
    engine.dispose()
    return max(have, wanted)


def measure(url: str, label: str, args: argparse.Namespace, work: Path) -> None:
    var_dir = work / f"var-{label}"
    env = {**os.environ, "GUANXI_DATABASE_URL": url, "GUANXI_VAR_DIR": str(var_dir)}
    env.pop("GUANXI_TEST_DATABASE_URL", None)
    csv_file, xlsx_file = work / "customers.csv", work / "customers.xlsx"
    for path in (csv_file, xlsx_file):
        if not path.exists():
            generator = str(Path(__file__).with_name("generate_customers.py"))
            subprocess.run(
                [sys.executable, generator, str(args.rows), str(path)],
                check=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
    results = []
    for kind, path in (("CSV (GB18030)", csv_file), ("XLSX", xlsx_file)):
        prepare(url, var_dir)
        command = [GUANXI, "import", "customers", str(path), "--as", USER, "--stats"]
        results.append((f"import {args.rows:,} from {kind}", run(command, env)))
        if url.startswith("postgresql"):
            reset_postgres(url)
        else:
            database = Path(url.removeprefix("sqlite:///"))
            for path in (database, *database.parent.glob(database.name + "-*")):
                path.unlink()
    prepare(url, var_dir)
    total = seed(url, args.export_rows)
    out = work / "export.csv"
    command = [GUANXI, "export", "customers", "-o", str(out), "--as", USER, "--stats"]
    results.append((f"export {total:,} to CSV", run(command, env)))
    print(f"\n{label}")
    for name, result in results:
        print(
            f"  {name:<32} {result['seconds']:>7} s  {result['rate']:>7} rows/s  "
            f"peak {result['peak_mb']:>4} MB   {result['summary']}"
        )


def reset_postgres(url: str) -> None:
    """Drop everything in the database (the next step migrates it afresh)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="customers to import")
    parser.add_argument("--export-rows", type=int, default=100_000, help="customers to export")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    parser.add_argument("--work", type=Path, help="folder for files (default: a temp folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="guanxi-perf-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.postgres:
        with throwaway_postgres() as url:
            measure(url, "PostgreSQL", args, work)
    else:
        measure(f"sqlite:///{work / 'bench.sqlite'}", "SQLite", args, work)


if __name__ == "__main__":
    main()
