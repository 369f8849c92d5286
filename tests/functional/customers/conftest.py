"""Fixtures for the customers module's tests: people in a small sales organisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from plugins.customers.models import Customer
from plugins.customers.service import assign_owner, next_code

SHANGHAI = "31"


@pytest.fixture
def make_customer(dbsession: Any) -> Any:
    """``make_customer(owner, name=…, **columns)`` adds a customer owned by ``owner``,
    in Shanghai (the service agent's region) unless ``province_code`` says otherwise."""

    def make(owner: Any, name: str = "上海测试有限公司", **columns: Any) -> Customer:
        customer = Customer(
            code=columns.pop("code", None) or next_code(dbsession, dt.date(2026, 11, 22)),
            name=name,
            custom=columns.pop("custom", {}),
            province_code=columns.pop("province_code", SHANGHAI),
            **columns,
        )
        assign_owner(customer, owner)
        dbsession.add(customer)
        dbsession.flush()
        return customer

    return make


@pytest.fixture
def org(factory: Any) -> dict[str, Any]:
    """A sales team with an east sub-team: a manager, two representatives, and a service
    agent looking after Shanghai."""
    sales = factory.team("销售部")
    east = factory.team("华东组", parent=sales)
    return {
        "sales": sales,
        "east": east,
        "manager": factory.user("manager", role="sales_manager", team=sales),
        "rep": factory.user("rep", role="sales_rep", team=east, display_name="李强"),
        "other_rep": factory.user("other", role="sales_rep", team=east, display_name="王磊"),
        "agent": factory.user("agent", role="service_agent", regions=(SHANGHAI,)),
    }


def sheet_bytes(rows: list[list[Any]], file_format: str = "csv", encoding: str = "utf-8") -> bytes:
    """``rows`` (the header first) as a CSV file in ``encoding`` or an XLSX workbook."""
    if file_format == "xlsx":
        import io

        import openpyxl

        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = "\r\n".join(",".join("" if cell is None else str(cell) for cell in row) for row in rows)
    return (text + "\r\n").encode(encoding)


@pytest.fixture
def import_rows(app: Any, tmp_path: Any) -> Any:
    """``import_rows(user, rows, type="customers", file_format="csv", **options)``: import
    ``rows`` (the header first) as ``user`` through the pipeline; ``(counts, import)``."""
    from core.tabular.imports import run_import

    def run(
        user: Any,
        rows: list[list[Any]],
        type_name: str = "customers",
        file_format: str = "csv",
        encoding: str = "utf-8",
        **options: Any,
    ) -> Any:
        path = tmp_path / f"upload-{len(list(tmp_path.iterdir()))}.{file_format}"
        path.write_bytes(sheet_bytes(rows, file_format, encoding))
        return run_import(app.registry, type_name, path, user=user.id, **options)

    return run
