"""Batch scenarios of ``guanxi bench``: a whole import or export through the REST API, once.

A batch scenario's ``run`` returns a :class:`BatchResult`: how many rows and
how many seconds the part a user waits for took.  The helpers here act as a
logged-in user of the web UI would (session cookie and CSRF header):

* :func:`import_file` uploads a file to ``POST /api/v1/imports``, follows the
  import until it finishes (timed), checks that every row was created and then
  undoes it (not timed), so the database keeps its size;
* :func:`export_file` asks ``POST /api/v1/exports`` for a CSV file, follows the
  job of a large export and downloads the file (timed to its last byte), then
  counts its rows.

:func:`write_csv` and :func:`write_xlsx` write the generated files a module's
``prepare`` uploads.
"""

from __future__ import annotations

import asyncio
import csv
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.bench.client import BenchFailure, BenchUser, multipart

#: Longest a single upload or download may take (a large file on a slow machine).
TRANSFER_TIMEOUT = 1800.0
#: Longest an import, undo or export job may take before the bench gives up.
JOB_TIMEOUT = 3600.0
#: States an import ends in (``undone`` after its undo).
IMPORT_FINISHED = ("done", "checked", "not_applied", "failed", "undone")


@dataclass(frozen=True)
class BatchResult:
    """What a batch scenario did: ``rows`` in ``seconds`` (the timed part only)."""

    rows: int
    seconds: float


async def follow(
    user: BenchUser, path: str, finished: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """GET the API document at ``path`` until ``finished(document)``; the last document.

    The polling interval grows with the wait (50 ms at first, at most 0.5 s),
    so a short job is timed closely and a long one is not disturbed.
    """
    started = time.monotonic()
    while True:
        document = (await user.api("GET", path)).json()
        if finished(document):
            return document
        waited = time.monotonic() - started
        if waited > JOB_TIMEOUT:
            raise BenchFailure(f"{path} did not finish within {JOB_TIMEOUT:.0f} s")
        await asyncio.sleep(min(0.5, 0.05 + waited / 100))


async def import_file(
    user: BenchUser, type_name: str, path: Path, expected: int, **options: str
) -> BatchResult:
    """Import ``path`` as ``type_name`` (``options``: more form fields, e.g. ``on_duplicate``).

    Timed from the upload to the finished import.  Anything but ``expected``
    rows created and none failed raises :class:`BenchFailure`; an applied
    import is undone either way.
    """
    content_type, body = multipart({"type": type_name, **options}, {"file": path})
    started = time.perf_counter()
    response = await user.api(
        "POST", "/api/v1/imports", body=body, content_type=content_type, expect=(202,),
        timeout=TRANSFER_TIMEOUT,
    )  # fmt: skip
    location = f"/api/v1/imports/{response.json()['id']}"
    result = await follow(user, location, lambda document: document["state"] in IMPORT_FINISHED)
    seconds = time.perf_counter() - started
    if result["state"] == "done":
        await undo(user, location)
    counts = result["counts"]
    if result["state"] != "done" or counts["created"] != expected or counts["failed"]:
        problem = f", {result['problem']}" if result.get("problem") else ""
        raise BenchFailure(
            f"import of {path.name}: {result['state']}, {counts} (expected {expected} "
            f"created){problem}"
        )
    return BatchResult(expected, seconds)


async def undo(user: BenchUser, location: str) -> None:
    """Undo the applied import at ``location`` and wait until it is undone."""
    await user.api("POST", f"{location}/undo", expect=(202,))

    def finished(document: dict[str, Any]) -> bool:
        job = document.get("job") or {}
        return document["state"] == "undone" or job.get("state") == "failed"

    if (await follow(user, location, finished))["state"] != "undone":
        raise BenchFailure(f"the undo of {location} failed")


async def export_file(
    user: BenchUser, type_name: str, target: Path, filters: dict[str, str] | None = None
) -> BatchResult:
    """Export ``type_name`` as CSV into ``target``; its data rows, timed to the last byte.

    A small export is the answer itself; a large one is a job to follow and
    then a file to download.  A row count other than the job's raises
    :class:`BenchFailure`.
    """
    payload = {"type": type_name, "format": "csv", "filters": filters or {}}
    started = time.perf_counter()
    announced = None
    with target.open("wb") as sink:
        response = await user.api(
            "POST", "/api/v1/exports", payload, expect=(200, 202), sink=sink,
            timeout=TRANSFER_TIMEOUT,
        )  # fmt: skip
        if response.status == 202:
            job = await follow(user, f"/api/v1/exports/{response.json()['id']}", _export_ended)
            if not job["file_url"]:
                raise BenchFailure(f"export job {job['id']}: {job['state']} without a file")
            announced = job["rows"]
            path = urlsplit(job["file_url"]).path
            await user.api("GET", path, sink=sink, timeout=TRANSFER_TIMEOUT)
    seconds = time.perf_counter() - started
    rows = csv_rows(target)
    if announced is not None and rows != announced:
        raise BenchFailure(f"the export announced {announced} rows, its file has {rows}")
    return BatchResult(rows, seconds)


def _export_ended(document: dict[str, Any]) -> bool:
    return bool(document["file_url"]) or document["state"] in ("done", "failed")


def csv_rows(path: Path) -> int:
    """Data rows of an exported CSV file (UTF-8 with a byte-order mark, a header first)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return max(0, sum(1 for _row in csv.reader(handle)) - 1)


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], encoding: str = "gb18030"
) -> None:
    """A CSV file as offices send them (GB18030 by default)."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1"
) -> None:
    """An XLSX workbook of one sheet, written as a stream, with its size recorded as Excel does."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    count = 0
    for row in rows:
        sheet.append(list(row))
        count += 1
    workbook.save(path)
    _add_dimension(path, f"A1:{get_column_letter(len(header))}{count + 1}")


def _add_dimension(path: Path, reference: str) -> None:
    """Record the sheet's size in it (openpyxl's streaming writer leaves it out)."""
    source = path.with_suffix(".tmp")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetPr>", f'</sheetPr><dimension ref="{reference}"/>'.encode(), 1
                )
            new.writestr(item, data)
    source.unlink()
