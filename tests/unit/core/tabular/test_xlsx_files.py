"""Workbooks from real Excel: title rows, dates, merged cells, blank rows, and hostile files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from core.tabular import errors
from core.tabular.xlsx_files import open_sheet, sheet_names


def workbook_bytes(build) -> bytes:  # type: ignore[no-untyped-def]
    workbook = openpyxl.Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_of(data: bytes, sheet: str | None = None) -> list[tuple[int, list[str]]]:
    return [(row.number, row.cells) for row in open_sheet(io.BytesIO(data), sheet).rows()]


def test_a_title_row_above_the_table_is_skipped_and_the_header_found() -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        sheet.append(["2026年客户名单"])
        sheet.append([])
        sheet.append(["客户名称", "手机", "签约日期"])
        sheet.append(["上海华东机械有限公司", 13812345678, dt.datetime(2026, 3, 1)])

    assert rows_of(workbook_bytes(build)) == [
        (3, ["客户名称", "手机", "签约日期"]),
        (4, ["上海华东机械有限公司", "13812345678", "2026-03-01"]),
    ]


def test_dates_stored_as_numbers_keep_their_type_and_text_dates_stay_text() -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        sheet.append(["名称", "日期"])
        sheet.append(["甲", dt.date(2026, 11, 25)])
        sheet.append(["乙", "2026/11/25"])
        sheet["B2"].number_format = "yyyy年m月d日"

    rows = list(open_sheet(io.BytesIO(workbook_bytes(build))).rows())
    assert rows[1].values[1] == dt.datetime(2026, 11, 25)
    assert rows[2].values[1] == "2026/11/25"


def test_merged_cells_give_their_value_to_every_cell_they_cover() -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        sheet.append(["省份", "客户"])
        sheet.append(["广东省", "甲公司"])
        sheet.append([None, "乙公司"])
        sheet.merge_cells("A2:A3")

    assert rows_of(workbook_bytes(build)) == [
        (1, ["省份", "客户"]),
        (2, ["广东省", "甲公司"]),
        (3, ["广东省", "乙公司"]),
    ]


def test_blank_and_trailing_rows_are_skipped() -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        sheet.append(["名称", "备注"])
        sheet.append(["甲", "🎉 𠮷"])
        sheet.append([None, None])
        sheet.append(["乙", None])
        sheet["D40"] = ""

    assert rows_of(workbook_bytes(build)) == [
        (1, ["名称", "备注"]),
        (2, ["甲", "🎉 𠮷"]),
        (4, ["乙"]),
    ]


def test_a_chosen_sheet_is_read_and_a_missing_one_refused() -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        workbook.active.append(["说明"])
        second = workbook.create_sheet("客户")
        second.append(["名称", "电话"])
        second.append(["甲", "1"])

    data = workbook_bytes(build)
    assert sheet_names(io.BytesIO(data)) == ["Sheet", "客户"]
    assert rows_of(data, "客户")[1] == (2, ["甲", "1"])
    with pytest.raises(errors.FileRefused) as refused:
        open_sheet(io.BytesIO(data), "不存在")
    assert refused.value.message == errors.NO_SHEET


def test_an_encrypted_workbook_is_refused() -> None:
    with pytest.raises(errors.FileRefused) as refused:
        open_sheet(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512))
    assert refused.value.message == errors.ENCRYPTED


@pytest.mark.parametrize("cut", [100, 2000])
def test_a_truncated_workbook_is_refused(cut: int) -> None:
    data = workbook_bytes(lambda workbook: workbook.active.append(["名称", "电话"]))
    with pytest.raises(errors.FileRefused) as refused:
        rows_of(data[:cut])
    assert refused.value.message == errors.DAMAGED


def test_a_decompression_bomb_is_refused_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(errors.FileRefused) as refused:
        open_sheet(io.BytesIO(buffer.getvalue()))
    assert refused.value.message == errors.UNPACKED_TOO_LARGE


def test_external_entities_are_never_resolved(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = workbook_bytes(lambda workbook: workbook.active.append(["名称", "电话"]))
    source = zipfile.ZipFile(io.BytesIO(data))
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = f'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file://{secret}">]>'
                content = content.replace(b"<worksheet", doctype.encode() + b"<worksheet", 1)
                content = content.replace("<t>名称</t>".encode(), b"<t>&e;</t>", 1)
                assert b"&e;" in content
            archive.writestr(item, content)
    with pytest.raises(errors.FileRefused) as refused:
        rows_of(evil.getvalue())
    assert refused.value.message == errors.DAMAGED


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(errors.FileRefused) as refused:
        open_sheet(io.BytesIO(b"name,phone\n"))
    assert refused.value.message == errors.DAMAGED
