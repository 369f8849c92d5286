"""The one import pipeline: read, check, find duplicates, write, all or nothing.

An import runs in two phases so that a crash never leaves half of a file behind:

1. **Check** (no write lock held): the file is read in batches, each row mapped
   to fields and checked by the record type's importer.  Good rows go to a
   spool file next to the upload, failed rows (with their original cells and
   messages) to another; progress is written to the job as it goes.
2. **Write**, in ONE transaction: batch by batch, duplicates are looked up
   (rows written earlier in the same run are found too, so a file repeating a
   customer creates it once), the policy decides (skip, update or create
   anyway), records are written in bulk with a link to the import, and the
   importer updates what depends on them (the search index …).  The run is
   committed only when every row succeeded, or when the user chose to import
   the valid rows; a dry run is always rolled back.  Killing the process
   rolls the transaction back, and running the import again starts afresh.

The failed rows of both phases make the error file: the original columns in
the original format plus an error column, ready to fix and import again.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import DataError, IntegrityError

from core.audit import record_event
from core.contributions import TabularField, TabularType
from core.customfields.service import REQUIRED
from core.db import begin_for_writing, utcnow
from core.i18n import _
from core.tabular.cells import cell_text
from core.tabular.importer import Checked, Importer
from core.tabular.mapping import IGNORED
from core.tabular.models import DataImport, ImportedRecord
from core.tabular.values import clean_text

BATCH_ROWS = 1000
PREVIEW_ROWS = 20
Progress = Callable[..., None]

MATCHES_SEVERAL = _(
    "This row matches ${count} existing records (by ${keys}), so it is not clear which one "
    "to update."
)
OUT_OF_REACH = _("An existing record with the same ${field} is not one you may change.")
ALREADY_USED = _("${field} ${value} is already used by another record.")
NOT_SAVED = _("This row could not be saved (it conflicts with data saved meanwhile). Check it.")


def _no_progress(*args: Any, **kwargs: Any) -> None:
    """Progress reporter that reports nowhere."""


@dataclass
class Counts:
    """What an import did (or, dry or not applied, would have done)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
        }

    def summary(self) -> str:
        """The line ``guanxi import`` prints: ``created N, updated N, skipped N, failed N``."""
        return (
            f"created {self.created}, updated {self.updated}, "
            f"skipped {self.skipped}, failed {self.failed}"
        )


@dataclass(order=True)
class Failure:
    """A row that was not imported: its number, original cells and messages."""

    number: int
    values: list[Any] = field(compare=False)
    messages: list[str] = field(compare=False)


class Spool:
    """Batches pickled to a temporary file (our own data, read back by the same run)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.file: BinaryIO = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.batches = 0

    def add(self, batch: list[Any]) -> None:
        if batch:
            pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.batches += 1

    def __iter__(self) -> Iterator[list[Any]]:
        self.file.seek(0)
        for _batch in range(self.batches):
            yield pickle.load(self.file)  # noqa: S301 (written by this run)

    def close(self) -> None:
        self.file.close()


class FailureLog:
    """The failed rows of a run, in row order, spooled in batches (a file may fail whole)."""

    def __init__(self, directory: Path) -> None:
        self.spool = Spool(directory)
        self.buffer: list[Failure] = []
        self.count = 0

    def extend(self, failures: Iterable[Failure]) -> None:
        for failure in failures:
            self.buffer.append(failure)
            self.count += 1
            if len(self.buffer) == BATCH_ROWS:
                self.spool.add(self.buffer)
                self.buffer = []

    def __iter__(self) -> Iterator[Failure]:
        for batch in self.spool:
            yield from batch
        yield from self.buffer

    def close(self) -> None:
        self.spool.close()


@dataclass
class Plan:
    """How to run one import: the type, its importer, the mapping and the policy."""

    request: Any
    type: TabularType
    importer: Importer
    mapping: list[str]
    on_duplicate: str = "skip"
    match_keys: tuple[str, ...] = ()
    fields: dict[str, TabularField] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        request: Any,
        tabular_type: TabularType,
        mapping: Sequence[str],
        on_duplicate: str = "skip",
        match_keys: Sequence[str] | None = None,
    ) -> Plan:
        """The plan for ``tabular_type``; match keys default to all the type's that are mapped."""
        importer = tabular_type.importer_for(request)
        fields = {item.key: item for item in importer.fields()}
        offered = [key for key in tabular_type.match_keys if key in mapping]
        chosen = offered if match_keys is None else [k for k in offered if k in match_keys]
        return cls(
            request, tabular_type, importer, list(mapping), on_duplicate, tuple(chosen), fields
        )

    @property
    def unique_keys(self) -> list[str]:
        """Mapped fields whose value no two records share (a code)."""
        return [key for key, item in self.fields.items() if item.unique and key in self.mapping]

    def label(self, key: str) -> str:
        """A field's label in the user's language."""
        item = self.fields.get(key)
        return self.request.translate(item.label) if item is not None else key

    def messages(self, row: Checked) -> list[str]:
        """The row's errors as text: ``Phone: Enter a phone number …``."""
        found = []
        for key, messages in row.errors.items():
            for message in messages:
                text = self.request.translate(message)
                found.append(f"{self.label(key)}: {text}" if key else text)
        return found

    def example(self) -> dict[str, str]:
        """The template's example row, as text by field key (such a row is not imported)."""
        translate = self.request.translate
        return {
            key: translate(item.example) if not isinstance(item.example, str) else item.example
            for key, item in self.fields.items()
            if item.example not in ("", None)
        }


def mapped(values: Sequence[Any], mapping: Sequence[str]) -> dict[str, Any]:
    """``{field key: cell}`` of a row's non-blank cells in mapped columns (text cleaned)."""
    row = {}
    for key, value in zip(mapping, values, strict=False):
        if key == IGNORED or value is None:
            continue
        if isinstance(value, str):
            value = clean_text(value)
            if not value:
                continue
        row[key] = value
    return row


def is_example(row: dict[str, Any], example: dict[str, str]) -> bool:
    """Whether ``row`` is the template's example row, left in the file."""
    shared = [key for key in row if key in example]
    return (
        len(shared) >= 2
        and len(shared) == len(row)
        and all(cell_text(row[key]).strip() == example[key] for key in shared)
    )


# -- phase 1: check ------------------------------------------------------------------


def check_rows(
    plan: Plan,
    rows: Iterable[Any],
    spool: Spool,
    failures: FailureLog,
    progress: Progress = _no_progress,
) -> int:
    """Map and check every row, spooling good ones as ``(Checked, cells)`` in batches.

    Failed rows go to ``failures``; returns how many rows there were.
    """
    example = plan.example()
    count = 0
    batch: list[tuple[int, dict[str, Any], list[Any]]] = []

    def flush() -> None:
        checked = plan.importer.check([(number, values) for number, values, _cells in batch])
        good, failed = [], []
        for result, (_number, _values, cells) in zip(checked, batch, strict=True):
            if result.ok:
                good.append((result.as_tuple(), cells))
            else:
                failed.append(Failure(result.number, cells, plan.messages(result)))
        spool.add(good)
        failures.extend(failed)
        batch.clear()

    for source_row in rows:
        values = mapped(source_row.values, plan.mapping)
        if not values or is_example(values, example):
            continue
        count += 1
        batch.append((source_row.number, values, source_row.values))
        if len(batch) == BATCH_ROWS:
            flush()
            progress(count, stage="checking")
    if batch:
        flush()
    progress(count, stage="checking", force=True)
    return count


# -- phase 2: write --------------------------------------------------------------------


@dataclass
class Segment:
    """What writing one segment did; merged into the run's totals once it is saved."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    linked: list[int] = field(default_factory=list)


@dataclass
class Writer:
    """Phase 2 for one import: resolves duplicates and writes, segment by segment."""

    plan: Plan
    data_import: DataImport
    failures: FailureLog
    counts: Counts = field(default_factory=Counts)
    touched: set[int] = field(default_factory=set)

    @property
    def session(self) -> Any:
        return self.plan.request.dbsession

    def write(self, batch: list[tuple[tuple[Any, ...], list[Any]]]) -> None:
        """Write one spooled batch (rows as :meth:`Checked.as_tuple`), split where a row
        repeats a key of an earlier row in it."""
        segment: list[tuple[Checked, list[Any]]] = []
        seen: set[tuple[str, Any]] = set()
        for plain, cells in batch:
            row = Checked.from_tuple(plain)
            keys = {
                (key, row.keys[key])
                for key in (*self.plan.match_keys, *self.plan.unique_keys)
                if row.keys.get(key)
            }
            if keys & seen:
                self._segment(segment)
                segment, seen = [], set()
            segment.append((row, cells))
            seen |= keys
        self._segment(segment)

    def _segment(self, segment: list[tuple[Checked, list[Any]]]) -> None:
        """Write ``segment`` in a savepoint; when the database refuses it, row by row."""
        if not segment:
            return
        try:
            with self.session.begin_nested():
                done = self._apply(segment)
        except (IntegrityError, DataError):
            if len(segment) > 1:
                for one in segment:
                    self._segment([one])
                return
            row, cells = segment[0]
            done = Segment(failures=[self._failure(row, cells, NOT_SAVED)])
        self.counts.created += done.created
        self.counts.updated += done.updated
        self.counts.skipped += done.skipped
        self.failures.extend(done.failures)
        self.touched.update(done.linked)

    def _failure(self, row: Checked, cells: list[Any], message: Any) -> Failure:
        return Failure(row.number, cells, [self.plan.request.translate(message)])

    def _decide(self, segment: list[tuple[Checked, list[Any]]], done: Segment) -> tuple[list, list]:
        """Rows to create and ``(id, row)`` to update; skips and failures go to ``done``."""
        plan, importer = self.plan, self.plan.importer
        found = {
            key: importer.existing(key, [row.keys.get(key) for row, _cells in segment])
            for key in plan.match_keys
        }
        matched_rows = []
        creates: list[tuple[Checked, list[Any]]] = []
        for row, cells in segment:
            matches: dict[int, list[str]] = {}
            for key in plan.match_keys:
                for record_id in found[key].get(row.keys.get(key), []):
                    matches.setdefault(record_id, []).append(key)
            if not matches or plan.on_duplicate == "create":
                creates.append((row, cells))
            elif plan.on_duplicate == "skip":
                done.skipped += 1
            elif len(matches) > 1:
                keys = sorted({key for found_keys in matches.values() for key in found_keys})
                message = _(
                    MATCHES_SEVERAL,
                    mapping={"count": len(matches), "keys": ", ".join(map(plan.label, keys))},
                )
                done.failures.append(self._failure(row, cells, message))
            else:
                [(record_id, keys)] = matches.items()
                matched_rows.append((record_id, row, cells, keys))
        reachable = importer.reachable([record_id for record_id, *_rest in matched_rows])
        updates = []
        for record_id, row, cells, keys in matched_rows:
            if record_id in reachable:
                updates.append((record_id, row, cells))
            else:
                message = _(OUT_OF_REACH, mapping={"field": plan.label(keys[0])})
                done.failures.append(self._failure(row, cells, message))
        return self._unused(creates, done), updates

    def _unused(self, creates: list[tuple[Checked, list[Any]]], done: Segment) -> list:
        """``creates`` without rows lacking a required field, or whose unique value (a code)
        a record already has."""
        plan = self.plan
        complete = []
        for row, cells in creates:
            if row.missing:
                messages = [
                    f"{plan.label(key)}: {plan.request.translate(REQUIRED)}" for key in row.missing
                ]
                done.failures.append(Failure(row.number, cells, messages))
            else:
                complete.append((row, cells))
        creates = complete
        for key in plan.unique_keys:
            taken = plan.importer.taken(key, [row.keys.get(key) for row, _cells in creates])
            kept = []
            for row, cells in creates:
                if row.keys.get(key) in taken:
                    mapping = {"field": plan.label(key), "value": row.keys[key]}
                    done.failures.append(
                        self._failure(row, cells, _(ALREADY_USED, mapping=mapping))
                    )
                else:
                    kept.append((row, cells))
            creates = kept
        return creates

    def _apply(self, segment: list[tuple[Checked, list[Any]]]) -> Segment:
        importer = self.plan.importer
        done = Segment()
        creates, updates = self._decide(segment, done)
        created = importer.create([row.values for row, _cells in creates])
        changed = importer.update([(record_id, row.changes) for record_id, row, _cells in updates])
        done.created, done.updated = len(created), len(changed)
        done.skipped += len(updates) - len(changed)
        done.linked = self._link(created, changed)
        importer.written(created, [record_id for record_id, _before, _version in changed])
        return done

    def _link(self, created: list[int], changed: list[tuple[int, dict, int]]) -> list[int]:
        """Link each record to the import once (a record touched again gets its new version);
        returns the ids linked now."""
        data_import, importer = self.data_import, self.plan.importer
        links = [(record_id, "created", 1, None) for record_id in created]
        again = []
        for record_id, before, version in changed:
            if record_id in self.touched:
                again.append({"_id": record_id, "version": version})
            else:
                links.append((record_id, "updated", version, importer.to_json(before)))
        if links:
            self.session.connection().execute(
                insert(ImportedRecord.__table__),
                [
                    {
                        "import_id": data_import.id,
                        "record_id": record_id,
                        "record_type": self.plan.type.name,
                        "action": action,
                        "version": version,
                        "before": before,
                    }
                    for record_id, action, version, before in links
                ],
            )
        if again:
            table = ImportedRecord.__table__
            self.session.connection().execute(
                update(table)
                .where(table.c.import_id == data_import.id, table.c.record_id == bindparam("_id"))
                .values(version=bindparam("version")),
                again,
            )
        return [record_id for record_id, *_rest in links]


# -- the whole run -----------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run did (or, dry or not applied, would have done)."""

    counts: Counts
    applied: bool


def run(
    plan: Plan,
    data_import: DataImport,
    rows: Iterable[Any],
    work_dir: Path,
    *,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    progress: Progress = _no_progress,
    write_progress: bool = True,
    report: Callable[[Iterable[Failure]], Any] | None = None,
) -> Outcome:
    """Check, then write in one transaction of ``plan.request.tm`` (see the module docstring).

    The request's transaction manager must be idle.  Before the write is
    committed (when applied) or aborted, ``report`` gets the failed rows in row
    order, if there are any; what it records on ``data_import`` is committed
    with the write.  ``write_progress`` False keeps progress writes out of the
    write phase (SQLite allows one writer at a time).
    """
    request = plan.request
    spool, first, second = Spool(work_dir), FailureLog(work_dir), FailureLog(work_dir)
    try:
        with request.tm:
            rows_read = check_rows(plan, rows, spool, first, progress)
        writer = Writer(plan, data_import, second, Counts(rows=rows_read))
        good_rows = rows_read - first.count
        progress(0, good_rows if write_progress else None, stage="saving", force=True)
        request.tm.begin()
        try:
            # A writer from the start: on SQLite a transaction that reads (duplicates)
            # before it writes fails if another connection committed meanwhile.
            begin_for_writing(request.dbsession)
            request.dbsession.add(data_import)
            done = 0
            for batch in spool:
                writer.write(batch)
                done += len(batch)
                if write_progress:
                    progress(done, good_rows, stage="saving")
            writer.counts.failed = first.count + second.count
            if writer.counts.failed and report is not None:
                report(heapq.merge(first, second))
            applied = not dry_run and (valid_rows_only or not writer.counts.failed)
            if applied:
                finish(request, data_import, writer.counts, "done")
                request.tm.commit()
            else:
                request.tm.abort()
        except BaseException:
            request.tm.abort()
            raise
    finally:
        for spooled in (spool, first, second):
            spooled.close()
    return Outcome(writer.counts, applied)


def record(data_import: DataImport, counts: Counts, state: str) -> None:
    """Put the outcome of a run on the import: its state and counts."""
    data_import.state = state
    data_import.rows = counts.rows
    data_import.created = counts.created
    data_import.updated = counts.updated
    data_import.skipped = counts.skipped
    data_import.failed = counts.failed
    data_import.finished_at = utcnow()


def finish(request: Any, data_import: DataImport, counts: Counts, state: str) -> None:
    """Record the outcome on the import and, when it was applied, one audit event with counts."""
    record(data_import, counts, state)
    if state == "done":
        record_event(
            request.dbsession,
            "import",
            record_type=data_import.type,
            record_id=data_import.id,
            summary=f"{data_import.filename}: {counts.summary()}",
            changes={"file": data_import.filename, **counts.as_dict()},
        )
