"""Reading XLSX workbooks from real Excel, safely.

The archive is checked before openpyxl sees it (entry count, unpacked size,
compression ratio), openpyxl parses through defusedxml (no external entities),
and the sheet is streamed in read-only mode.  The header row is the first of
the top rows that is about as wide as the widest one (title rows above a table
are skipped), merged cells give their value to every cell they cover, and
blank rows are skipped while keeping Excel's row numbers.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from core.tabular import errors
from core.tabular.cells import cell_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ENTRIES = 10_000
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_RATIO = 200
HEADER_SEARCH_ROWS = 20
#: Cells that merged ranges may cover in all (a sheet merging more is read unmerged).
MAX_MERGED_CELLS = 1_000_000
MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


@dataclass(frozen=True)
class SheetRow:
    """A non-blank row: Excel's row number and the cell values (str, numbers, dates …)."""

    number: int
    values: list[Any]

    @property
    def cells(self) -> list[str]:
        """The values as text."""
        return [cell_text(value) for value in self.values]


def check_archive(stream: BinaryIO) -> zipfile.ZipFile:
    """The workbook's zip archive, refused when encrypted, damaged or a decompression bomb."""
    start = stream.tell()
    magic = stream.read(len(OLE_MAGIC))
    stream.seek(start)
    if magic == OLE_MAGIC:
        raise errors.FileRefused(errors.ENCRYPTED)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise errors.FileRefused(errors.DAMAGED) from None
    entries = archive.infolist()
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if len(entries) > MAX_ENTRIES or unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
        raise errors.FileRefused(errors.UNPACKED_TOO_LARGE)
    return archive


def merged_ranges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """``(min_col, min_row, max_col, max_row)`` of every merged range of a sheet.

    The ``<mergeCell>`` elements follow the cell data, so the sheet's XML is
    scanned as bytes rather than parsed a second time.
    """
    ranges = []
    tail = b""
    with archive.open(sheet_path) as handle:
        while chunk := handle.read(1024 * 1024):
            data = tail + chunk
            for match in MERGE_CELL.finditer(data):
                ranges.append(range_boundaries(match.group(1).decode()))
            tail = data[-256:]
    return sorted(set(ranges))


@dataclass
class Sheet:
    """One worksheet being read: its header row number and its rows as they stream."""

    worksheet: Any
    header_row: int
    merges: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    """Covered cell ``(row, column)`` → the top-left cell of its merged range."""
    names: list[str] = field(default_factory=list)
    """The names of the workbook's sheets, in order."""

    def rows(self) -> Iterator[SheetRow]:
        """The header row, then every non-blank row below it.

        Raises ``FileRefused`` when the archive turns out to be damaged mid-way.
        """
        try:
            yield from self._rows()
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
            raise errors.FileRefused(errors.DAMAGED) from None

    def _rows(self) -> Iterator[SheetRow]:
        tops = set(self.merges.values())
        anchors: dict[tuple[int, int], Any] = {}
        for number, raw in enumerate(self.worksheet.iter_rows(values_only=True), start=1):
            if number < self.header_row:
                continue
            values = list(raw)
            if self.merges:
                for column in range(1, len(values) + 1):
                    if (number, column) in tops:
                        anchors[(number, column)] = values[column - 1]
                    elif (number, column) in self.merges:
                        values[column - 1] = anchors.get(self.merges[(number, column)])
            while values and values[-1] in (None, ""):
                values.pop()
            if any(cell_text(value).strip() for value in values):
                yield SheetRow(number, values)


def find_header_row(top_rows: Iterable[Sequence[Any]]) -> int:
    """The number (from 1) of the header among a sheet's top rows.

    The first row about as wide as the widest one: title rows above a table are skipped.
    """
    widths = [sum(1 for value in row if cell_text(value).strip()) for row in top_rows]
    widest = max(widths, default=0)
    if widest == 0:
        raise errors.FileRefused(errors.EMPTY)
    for number, width in enumerate(widths, start=1):
        if width >= max(1, (widest + 1) // 2) and (width >= 2 or widest == 1):
            return number
    raise errors.FileRefused(errors.NO_HEADER, rows=HEADER_SEARCH_ROWS)


def _header_row(worksheet: Any) -> int:
    return find_header_row(worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True))


def _covered_cells(
    stream: BinaryIO, sheet_path: str | None
) -> dict[tuple[int, int], tuple[int, int]]:
    """Covered cell → top-left cell of its merged range (empty when there are too many)."""
    if not sheet_path:
        return {}
    stream.seek(0)
    ranges = merged_ranges(zipfile.ZipFile(stream), sheet_path)
    area = sum(
        (max_col - min_col + 1) * (max_row - min_row + 1)
        for min_col, min_row, max_col, max_row in ranges
    )
    if area > MAX_MERGED_CELLS:
        return {}
    return {
        (row, column): (min_row, min_col)
        for min_col, min_row, max_col, max_row in ranges
        for row in range(min_row, max_row + 1)
        for column in range(min_col, max_col + 1)
        if (row, column) != (min_row, min_col)
    }


def sheet_names(stream: BinaryIO) -> list[str]:
    """The names of the workbook's sheets, in order."""
    return _load(stream).sheetnames


def _load(stream: BinaryIO) -> Any:
    check_archive(stream)
    stream.seek(0)
    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise errors.FileRefused(errors.DAMAGED) from None


def open_sheet(stream: BinaryIO, name: str | None = None) -> Sheet:
    """The sheet ``name`` (default: the first) of the workbook in the seekable ``stream``.

    The workbook is opened once: openpyxl reads the whole sheet to size it when
    the file does not say (files written by openpyxl do not).
    """
    workbook = _load(stream)
    if name is None:
        worksheet = workbook.worksheets[0]
    elif name in workbook.sheetnames:
        worksheet = workbook[name]
    else:
        raise errors.FileRefused(errors.NO_SHEET, name=name)
    try:
        merges = _covered_cells(stream, getattr(worksheet, "_worksheet_path", None))
        return Sheet(worksheet, _header_row(worksheet), merges, list(workbook.sheetnames))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
        raise errors.FileRefused(errors.DAMAGED) from None
