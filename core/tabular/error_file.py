"""The file of failed rows: the original columns and cells, plus a column saying what is wrong.

A CSV file comes back as CSV (UTF-8 with a BOM, which Excel opens correctly),
a workbook as XLSX with its numbers and dates still typed.  The error column is
last, and the import ignores it, so the fixed file imports as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from core.tabular.writers import csv_chunks, write_xlsx

MESSAGE_SEPARATOR = "; "


def error_file_name(source_format: str) -> str:
    """The stored name of an import's error file for a source in ``source_format``."""
    return "errors.csv" if source_format == "csv" else "errors.xlsx"


def write_error_file(
    path: Path,
    source_format: str,
    header: Sequence[str],
    failures: Iterable[Any],
    errors_header: str,
    sheet_title: str,
) -> int:
    """Write the failed rows (``number``, ``values``, ``messages``) to ``path``; how many."""
    width = len(header)
    count = 0

    def rows() -> Iterable[list[Any]]:
        nonlocal count
        for failure in failures:
            count += 1
            cells = list(failure.values[:width]) + [None] * (width - len(failure.values))
            yield [*cells, MESSAGE_SEPARATOR.join(failure.messages)]

    columns = [*header, errors_header]
    temporary = path.with_suffix(path.suffix + ".part")
    with temporary.open("wb") as target:
        if source_format == "csv":
            for chunk in csv_chunks(columns, rows()):
                target.write(chunk)
        else:
            write_xlsx(target, columns, rows(), sheet_title)
    temporary.replace(path)
    return count
