"""Every file people import opens the same way: CSV in any encoding, XLSX, XLS, and bad files."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import openpyxl
import pytest
import xlrd
import xlwt

from core.tabular import errors
from core.tabular.sources import Limits, read_source

ROWS = [["客户名称", "手机", "签约日期"], ["上海华东机械有限公司", "13812345678", "2026-03-01"]]


def csv_bytes(encoding: str, rows: list[list[str]] = ROWS, ending: str = "\r\n") -> bytes:
    text = ending.join(",".join(row) for row in rows) + ending
    return (codecs.BOM_UTF8 if encoding == "utf-8-sig" else b"") + text.encode(
        "utf-8" if encoding == "utf-8-sig" else encoding
    )


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_all(data: bytes, **options: object) -> tuple[list[str], list[list[object]]]:
    source = read_source(io.BytesIO(data), **options)  # type: ignore[arg-type]
    return source.header, [row.values for row in source.rows()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_writes(encoding: str) -> None:
    header, rows = read_all(csv_bytes(encoding))
    assert header == ROWS[0]
    assert rows == [ROWS[1]]


def test_a_title_line_above_a_csv_table_is_skipped() -> None:
    data = csv_bytes("utf-8", [["2026年客户名单"], *ROWS])
    source = read_source(io.BytesIO(data))
    assert (source.header, source.header_row) == (ROWS[0], 2)


def test_a_workbook_renamed_csv_is_still_read_as_a_workbook() -> None:
    data = xlsx_bytes([["名称", "日期"], ["甲", dt.datetime(2026, 3, 1)]])
    source = read_source(io.BytesIO(data))
    assert source.format == "xlsx"
    assert [row.values for row in source.rows()] == [["甲", dt.datetime(2026, 3, 1)]]


def test_old_xls_workbooks_are_read_with_dates_and_merged_cells() -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("客户")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    sheet.write(0, 0, "2026年客户")
    for column, text in enumerate(["省份", "客户", "签约日期", "数量"]):
        sheet.write(1, column, text)
    sheet.write_merge(2, 3, 0, 0, "广东省")
    sheet.write(2, 1, "甲公司")
    sheet.write(2, 2, dt.datetime(2026, 3, 1), dates)
    sheet.write(2, 3, 3)
    sheet.write(3, 1, "乙公司 🎉")
    buffer = io.BytesIO()
    book.save(buffer)
    source = read_source(io.BytesIO(buffer.getvalue()))
    assert (source.format, source.sheet, source.header_row) == ("xls", "客户", 2)
    assert [(row.number, row.values) for row in source.rows()] == [
        (3, ["广东省", "甲公司", dt.datetime(2026, 3, 1), 3]),
        (4, ["广东省", "乙公司 🎉"]),
    ]


def test_a_chosen_sheet_is_read() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["说明"])
    other = workbook.create_sheet("客户")
    other.append(["名称", "电话"])
    other.append(["甲", "1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = read_source(io.BytesIO(buffer.getvalue()), sheet="客户")
    assert (source.sheets, source.header) == (["Sheet", "客户"], ["名称", "电话"])


def test_more_rows_than_allowed_are_refused() -> None:
    data = csv_bytes("utf-8", [["名称", "电话"]] + [[f"客户{i}", "1"] for i in range(11)])
    source = read_source(io.BytesIO(data), limits=Limits(max_rows=10))
    with pytest.raises(errors.FileRefused) as refused:
        list(source.rows())
    assert refused.value.message == errors.TOO_MANY_ROWS


def test_a_file_larger_than_allowed_is_refused_before_reading() -> None:
    with pytest.raises(errors.FileRefused) as refused:
        read_source(io.BytesIO(csv_bytes("utf-8")), limits=Limits(max_bytes=10))
    assert refused.value.message == errors.TOO_LARGE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", errors.EMPTY),
        (b"%PDF-1.7\n\x00\x01\x02binary" * 50, errors.BINARY),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048, errors.DAMAGED),
        (b"PK\x03\x04" + b"\x00" * 100, errors.DAMAGED),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, message: object) -> None:
    with pytest.raises(errors.FileRefused) as refused:
        read_all(data)
    assert refused.value.message == message


@pytest.mark.parametrize(
    "complaint",
    ["Workbook is encrypted", "Can't find workbook in OLE2 compound document"],
)
def test_password_protected_workbooks_are_named_as_such(monkeypatch, complaint: str) -> None:  # type: ignore[no-untyped-def]
    # Excel stores a password-protected workbook (.xls or .xlsx) as an encrypted OLE file.
    def refuse(**kwargs: object) -> None:
        raise xlrd.XLRDError(complaint)

    monkeypatch.setattr(xlrd, "open_workbook", refuse)
    with pytest.raises(errors.FileRefused) as refused:
        read_all(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    assert refused.value.message == errors.ENCRYPTED


def test_a_truncated_workbook_is_refused() -> None:
    data = xlsx_bytes([["名称", "电话"], ["甲", "1"]])
    with pytest.raises(errors.FileRefused) as refused:
        read_all(data[: len(data) // 2])
    assert refused.value.message == errors.DAMAGED
