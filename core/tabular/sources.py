"""One reader for every file people import: CSV (any encoding), XLSX and XLS.

The format is recognised from the content, not the name (a workbook renamed
``.csv`` is still read as a workbook, a PDF renamed ``.xlsx`` is refused as not
a spreadsheet).  Every format gives the same thing: the header row (found below
any title rows) and the data rows below it, each with its spreadsheet row
number and its cells (text for CSV; numbers, dates and text for workbooks).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from core.tabular import errors
from core.tabular.cells import cell_text
from core.tabular.csv_files import open_csv
from core.tabular.xls_files import open_xls_sheet
from core.tabular.xlsx_files import HEADER_SEARCH_ROWS, OLE_MAGIC, find_header_row, open_sheet

FORMATS = ("csv", "xlsx", "xls")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: File name extension of each format (the error file and exports keep the format).
EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx", "xls": ".xls"}
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Limits:
    """How large an imported file may be, in bytes and in data rows."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Limits:
        """``guanxi.import_max_mb`` (default 50) and ``guanxi.import_max_rows`` (1,000,000)."""
        megabytes = float(settings.get("guanxi.import_max_mb") or DEFAULT_MAX_BYTES / 1024**2)
        rows = int(settings.get("guanxi.import_max_rows") or DEFAULT_MAX_ROWS)
        return cls(int(megabytes * 1024 * 1024), rows)


@dataclass(frozen=True)
class SourceRow:
    """A non-blank data row: its number as the spreadsheet shows it, and its cells."""

    number: int
    values: list[Any]


def sniff_format(head: bytes) -> str:
    """``xlsx`` for a zip archive, ``xls`` for an OLE compound file, else ``csv``."""
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    return "csv"


@dataclass
class Source:
    """An opened file: what was recognised, its header and its data rows."""

    format: str
    header: list[str]
    header_row: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    max_rows: int = DEFAULT_MAX_ROWS
    _rest: Iterator[SourceRow] = field(default_factory=lambda: iter(()), repr=False)

    def rows(self) -> Iterator[SourceRow]:
        """The data rows; raises ``FileRefused`` past the row limit or where a row is unreadable."""
        for count, row in enumerate(self._rest, start=1):
            if count > self.max_rows:
                raise errors.FileRefused(errors.TOO_MANY_ROWS, limit=f"{self.max_rows:,}")
            yield row


def _rows_of(stream: BinaryIO, file_format: str, encoding: Any, delimiter: Any, sheet: Any) -> Any:
    """``(rows, details)``: the non-blank rows of the file and what was recognised."""
    if file_format == "csv":
        csv_file = open_csv(stream, encoding, delimiter)
        rows = (SourceRow(row.number, list(row.cells)) for row in csv_file.rows())
        return rows, {"encoding": csv_file.encoding, "delimiter": csv_file.delimiter}
    opened = (open_sheet if file_format == "xlsx" else open_xls_sheet)(stream, sheet)
    rows = (SourceRow(row.number, row.values) for row in opened.rows())
    names = opened.names
    return rows, {"sheet": sheet or (names[0] if names else None), "sheets": names}


def read_source(
    stream: BinaryIO,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    limits: Limits | None = None,
) -> Source:
    """Open the seekable binary ``stream`` (CSV, XLSX or XLS) and find its header row.

    ``encoding`` and ``delimiter`` override what is detected in a CSV file,
    ``sheet`` chooses a workbook's sheet (default: the first).  Raises
    ``FileRefused`` for empty, binary, damaged, encrypted or oversized files.
    """
    limits = limits or Limits()
    start = stream.tell()
    stream.seek(0, 2)
    if stream.tell() - start > limits.max_bytes:
        raise errors.FileRefused(errors.TOO_LARGE, limit=size_text(limits.max_bytes))
    stream.seek(start)
    file_format = sniff_format(stream.read(8))
    stream.seek(start)
    rows, details = _rows_of(stream, file_format, encoding, delimiter, sheet)
    top = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    if not top:
        raise errors.FileRefused(errors.EMPTY)
    index = find_header_row([row.values for row in top]) - 1
    header_row = top[index]
    return Source(
        format=file_format,
        header=[cell_text(value).strip() for value in header_row.values],
        header_row=header_row.number,
        max_rows=limits.max_rows,
        _rest=itertools.chain(top[index + 1 :], rows),
        **details,
    )


def size_text(size: int) -> str:
    """A size in bytes as people read it: ``50 MB``, ``512 KB``."""
    if size >= 1024**2:
        return f"{size / 1024**2:.3g} MB"
    return f"{max(size, 1024) // 1024} KB"


@contextlib.contextmanager
def open_source(path: Path, **options: Any) -> Iterator[Source]:
    """:func:`read_source` on the file at ``path``, closed when the block ends."""
    with path.open("rb") as stream:
        yield read_source(stream, **options)
