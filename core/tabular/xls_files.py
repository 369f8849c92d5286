"""Reading the old binary Excel format (.xls, Excel 97–2003) with xlrd.

Workbooks of that format are at most 65,536 rows and read whole into memory
(the upload limit bounds them).  They are read like XLSX: the header row is
found below title rows, dates stored as numbers come back as dates, merged
cells give their value to every cell they cover and blank rows are skipped.
A password-protected workbook is refused with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import xlrd
from xlrd.compdoc import CompDocError

from core.tabular import errors
from core.tabular.cells import cell_text
from core.tabular.xlsx_files import HEADER_SEARCH_ROWS, SheetRow, find_header_row


def _value(book: Any, cell: Any) -> Any:
    """A cell as Python: dates as datetimes, whole numbers as ints, errors as blanks."""
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, book.datemode)
        except (xlrd.XLDateError, OverflowError, ValueError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
        return int(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    return cell.value


@dataclass
class XlsSheet:
    """One worksheet of an .xls workbook: its header row number and its rows."""

    book: Any
    sheet: Any
    header_row: int

    @property
    def names(self) -> list[str]:
        """The names of the workbook's sheets, in order."""
        return list(self.book.sheet_names())

    def rows(self) -> Iterator[SheetRow]:
        """The header row, then every non-blank row below it (Excel's row numbers)."""
        covered = {
            (row, column): (first_row, first_column)
            for first_row, last_row, first_column, last_column in self.sheet.merged_cells
            for row in range(first_row, last_row)
            for column in range(first_column, last_column)
            if (row, column) != (first_row, first_column)
        }
        for index in range(self.header_row - 1, self.sheet.nrows):
            values = []
            for column, cell in enumerate(self.sheet.row(index)):
                source = covered.get((index, column))
                if source is not None:
                    cell = self.sheet.cell(*source)
                values.append(_value(self.book, cell))
            while values and values[-1] in (None, ""):
                values.pop()
            if any(cell_text(value).strip() for value in values):
                yield SheetRow(index + 1, values)


def _book(stream: BinaryIO) -> Any:
    data = stream.read()
    try:
        return xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower() or "workbook" in str(exc).lower():
            raise errors.FileRefused(errors.ENCRYPTED) from None
        raise errors.FileRefused(errors.DAMAGED) from None
    except (CompDocError, AssertionError, IndexError, KeyError, ValueError, EOFError):
        raise errors.FileRefused(errors.DAMAGED) from None


def open_xls_sheet(stream: BinaryIO, name: str | None = None) -> XlsSheet:
    """The sheet ``name`` (default: the first) of the .xls workbook in ``stream``."""
    book = _book(stream)
    names = book.sheet_names()
    if name is not None and name not in names:
        raise errors.FileRefused(errors.NO_SHEET, name=name)
    try:
        sheet = book.sheet_by_name(name) if name is not None else book.sheet_by_index(0)
        top = [
            [_value(book, cell) for cell in sheet.row(index)]
            for index in range(min(sheet.nrows, HEADER_SEARCH_ROWS))
        ]
    except (xlrd.XLRDError, CompDocError, AssertionError, IndexError, KeyError, ValueError):
        raise errors.FileRefused(errors.DAMAGED) from None
    return XlsSheet(book, sheet, find_header_row(top))
