"""What exports write: Excel-friendly CSV, typed XLSX, and nothing a spreadsheet would execute."""

from __future__ import annotations

import codecs
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from core.tabular.cells import cell_text, neutralise
from core.tabular.csv_files import open_csv
from core.tabular.writers import CSV_BATCH_ROWS, csv_chunks, write_xlsx


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.50", "-12.50"),
        ("+8613812345678", "+8613812345678"),
        ("1e5", "1e5"),
        ("张三", "张三"),
        ("", ""),
    ],
)
def test_formula_like_text_is_neutralised_and_real_numbers_are_not(text: str, written: str) -> None:
    assert neutralise(text) == written


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (13812345678.0, "13812345678"),
        (0.1, "0.1"),
        (Decimal("12.50"), "12.50"),
        (dt.datetime(2026, 11, 25), "2026-11-25"),
        (dt.datetime(2026, 11, 25, 9, 30), "2026-11-25 09:30:00"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (True, "TRUE"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_csv_starts_with_a_bom_and_reads_back_unchanged() -> None:
    rows = [["张三", "=1+1", Decimal("-3.5")], ["𠮷野家", "多行\n备注", None]]
    data = b"".join(csv_chunks(["名称", "备注", "金额"], rows))
    assert data.startswith(codecs.BOM_UTF8)
    assert b"\r\n" in data
    assert [row.cells for row in open_csv(io.BytesIO(data)).rows()] == [
        ["名称", "备注", "金额"],
        ["张三", "'=1+1", "-3.5"],
        ["𠮷野家", "多行\n备注", ""],
    ]


def test_csv_is_streamed_in_batches() -> None:
    chunks = csv_chunks(["n"], ([i] for i in range(CSV_BATCH_ROWS * 2 + 1)))
    assert len(list(chunks)) == 4


def test_xlsx_keeps_numbers_and_dates_typed_and_neutralises_text() -> None:
    buffer = io.BytesIO()
    rows = [["张三", 12, Decimal("99.90"), dt.date(2026, 11, 25), "=cmd()"]]
    write_xlsx(buffer, ["名称", "数量", "金额", "日期", "备注"], rows, "客户")
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.title == "客户"
    assert [cell.value for cell in sheet[2]] == [
        "张三",
        12,
        99.9,
        dt.datetime(2026, 11, 25),
        "'=cmd()",
    ]
    assert sheet.freeze_panes == "A2"
