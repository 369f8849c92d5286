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

from core.tabular.cells import cell_text, neutralise

CSV_BATCH_ROWS = 1000


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file as byte chunks: the BOM and header at once, then rows in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([neutralise(cell_text(value)) for value in row])
        pending += 1
        if pending == CSV_BATCH_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
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
    """Write one sheet called ``title`` (header row frozen) to ``target`` in streaming mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    sheet.append([neutralise(name) for name in header])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    workbook.save(target)
