"""The export writer: the header goes out before any row is read, rows stream in batches."""

from __future__ import annotations

import codecs
import csv
import io

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.customfields.serialize import ExportColumn
from core.tabular import exports
from core.tabular.exporter import ExportPlan

METADATA = sa.MetaData()
PEOPLE = sa.Table(
    "people", METADATA, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String)
)


def plan_and_factory(count: int) -> tuple[ExportPlan, list[Session], object]:
    engine = sa.create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(PEOPLE), [{"name": f"客户{n}"} for n in range(count)])
    opened: list[Session] = []

    def factory() -> Session:
        opened.append(Session(engine))
        return opened[-1]

    query = sa.select(PEOPLE.c.name).order_by(PEOPLE.c.id)
    plan = ExportPlan(query, [ExportColumn("name", "名称", lambda row: row.name)], "客户")
    return plan, opened, factory


def test_the_csv_header_leaves_before_the_query_runs_and_rows_follow_in_batches():
    plan, opened, factory = plan_and_factory(2500)
    chunks = exports.streamed_csv(factory, plan)
    first = next(chunks)
    assert first == codecs.BOM_UTF8 + "名称\r\n".encode() and opened == []
    rest = list(chunks)
    assert len(rest) == 3  # a chunk per 1,000 rows
    rows = list(csv.reader(io.StringIO(b"".join([first, *rest]).decode("utf-8-sig"))))
    assert rows[1] == ["客户0"] and len(rows) == 2501
    assert len(opened) == 1


def test_a_client_that_goes_away_closes_the_session():
    plan, opened, factory = plan_and_factory(5000)
    chunks = exports.streamed_csv(factory, plan)
    next(chunks)
    next(chunks)
    chunks.close()
    assert opened[0].get_transaction() is None  # closed, its cursor released
