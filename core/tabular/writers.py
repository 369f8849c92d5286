"""Writing rows out as CSV (streamed, UTF-8 with a BOM so Excel reads Chinese) or XLSX.

Text that a spreadsheet would run as a formula is neutralised in both formats;
numbers stay numbers in XLSX.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import Workbook

from core.tabular.cells import FORMULA_STARTS, cell_text, neutralise

CSV_BATCH_ROWS = 1000
#: Rows of one XLSX sheet (Excel's limit, less the header); more continue on a new sheet.
XLSX_SHEET_ROWS = 1_048_575
_TRIGGERS = frozenset(FORMULA_STARTS)


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: text as it is (neutralised if formula-like), others as text."""
    if type(value) is str:
        return value if not value or value[0] not in _TRIGGERS else neutralise(value)
    if value is None:
        return ""
    return neutralise(cell_text(value))


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file as byte chunks: the BOM and header at once, then rows in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    batch: list[list[str]] = []
    for row in rows:
        batch.append([csv_cell(value) for value in row])
        if len(batch) == CSV_BATCH_ROWS:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue().encode("utf-8")
    if batch:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    """Numbers and dates as Excel values; aware datetimes (localise them first) as text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.date) and getattr(value, "tzinfo", None) is None:
        return value
    if isinstance(value, str):
        return neutralise(value)
    return neutralise(cell_text(value))


def write_xlsx(
    target: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> None:
    """Write a sheet called ``title`` (header row frozen) to ``target`` in streaming mode.

    Rows beyond Excel's limit continue on sheets ``title (2)``, ``title (3)`` …
    """
    workbook = Workbook(write_only=True)
    title = _sheet_title(title) or "Sheet1"
    head = [neutralise(name) for name in header]
    sheet, count, number = None, XLSX_SHEET_ROWS, 1
    for row in rows:
        if count == XLSX_SHEET_ROWS:
            sheet = _new_sheet(workbook, title if number == 1 else f"{title[:25]} ({number})", head)
            count, number = 0, number + 1
        sheet.append([_xlsx_value(value) for value in row])  # type: ignore[union-attr]
        count += 1
    if sheet is None:
        _new_sheet(workbook, title, head)
    workbook.save(target)


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]


def _new_sheet(workbook: Any, title: str, head: list[str]) -> Any:
    sheet = workbook.create_sheet(title=title)
    sheet.freeze_panes = "A2"
    sheet.append(head)
    return sheet
