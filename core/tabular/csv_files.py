"""Reading CSV files as Chinese offices send them: any common encoding, delimiter and line end.

Excel on Chinese Windows saves GBK/GB18030 without a byte-order mark, newer
Excel UTF-8 with one, "Unicode text" is UTF-16 with tabs.  The encoding is
recognised from the byte-order mark, then strict UTF-8, then the most coherent
of the legacy encodings; the delimiter from the first lines.  Rows are streamed,
so a large file is never held in memory at once.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from charset_normalizer import from_bytes

from core.tabular import errors

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
#: Legacy encodings tried when a file is not UTF-8, the most common first.
LEGACY_ENCODINGS = ("gb18030", "big5", "cp1252")
#: Largest accepted cell (csv's own default of 128 KiB is too small for notes).
MAX_FIELD_CHARS = 1024 * 1024
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Row:
    """A non-blank record: its number as a spreadsheet shows it (the header is 1) and cells."""

    number: int
    cells: list[str]


def _bom_encoding(sample: bytes) -> str | None:
    for bom, encoding in BOMS:
        if sample.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _complete(sample: bytes, at_end: bool) -> bytes:
    """``sample`` without a multi-byte character cut off at its end."""
    if at_end:
        return sample
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def detect_encoding(sample: bytes, at_end: bool = False) -> str:
    """The encoding of a file starting with ``sample`` (``at_end``: the sample is all of it).

    Raises ``FileRefused`` for binary data or text in no recognisable encoding.
    """
    encoding = _bom_encoding(sample) or _utf16_without_bom(sample)
    if encoding:
        return encoding
    if b"\x00" in sample:
        raise errors.FileRefused(errors.BINARY)
    text = _complete(sample, at_end)
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(text, cp_isolation=list(LEGACY_ENCODINGS)).best()
        if best is None:
            raise errors.FileRefused(errors.UNKNOWN_ENCODING) from None
        return str(best.encoding)
    return "utf-8"


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines of ``text`` into the most consistent columns."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class CsvFile:
    """An opened CSV file: the encoding and delimiter in use, and its rows as they stream."""

    stream: BinaryIO
    encoding: str
    delimiter: str

    def rows(self) -> Iterator[Row]:
        """Every non-blank record; raises ``FileRefused`` where the file cannot be read."""
        text = io.TextIOWrapper(self.stream, encoding=self.encoding, newline="", errors="strict")
        reader = csv.reader(text, delimiter=self.delimiter, strict=False)
        number = 0
        previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            while True:
                number += 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise errors.FileRefused(
                        errors.WRONG_ENCODING, row=number, encoding=self.encoding
                    ) from None
                except csv.Error:
                    raise errors.FileRefused(errors.MALFORMED_ROW, row=number) from None
                if any(cell.strip() for cell in cells):
                    yield Row(number, cells)
        finally:
            csv.field_size_limit(previous_limit)
            with contextlib.suppress(ValueError):  # the file was closed before the rows ended
                text.detach()


def open_csv(
    stream: BinaryIO, encoding: str | None = None, delimiter: str | None = None
) -> CsvFile:
    """Open the seekable binary ``stream`` as CSV, detecting what is not given.

    Raises ``FileRefused`` for an empty, binary or undecodable file.
    """
    start = stream.tell()
    sample = stream.read(SAMPLE_BYTES)
    at_end = not stream.read(1)
    stream.seek(start)
    if not sample.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise errors.FileRefused(errors.EMPTY)
    if encoding is None:
        encoding = detect_encoding(sample, at_end)
    else:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise errors.FileRefused(errors.UNKNOWN_ENCODING) from None
    if delimiter is None:
        head = _complete(sample, at_end).decode(encoding, errors="replace")
        delimiter = detect_delimiter("\n".join(head.splitlines()[:50]))
    return CsvFile(stream, encoding, delimiter)
