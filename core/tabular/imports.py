"""Imports from upload to result: storing the file, mapping it, running, undoing.

The same functions serve the pages, the API, background jobs and ``guanxi
import``; :func:`run_import` runs a whole import in-process (for scripts and
measurements).  Uploads are kept under ``<var>/imports/<random name>/`` with
the error file next to them.
"""

from __future__ import annotations

import secrets
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.acting import acting_request
from core.audit import record_event
from core.background import JobContext, JobFailed, message_record, submit
from core.contributions import BackgroundTask, TabularType
from core.customfields.service import REQUIRED
from core.db import begin_for_writing, utcnow
from core.i18n import _
from core.tabular import errors
from core.tabular.catalog import tabular_types
from core.tabular.cells import cell_text
from core.tabular.error_file import error_file_name, write_error_file
from core.tabular.mapping import ERRORS_HEADER, checked_mapping, suggested_mapping
from core.tabular.models import DUPLICATE_POLICIES, DataImport, ImportedRecord
from core.tabular.pipeline import (
    PREVIEW_ROWS,
    Counts,
    Failure,
    Plan,
    is_example,
    mapped,
    record,
    run,
)
from core.tabular.sources import EXTENSIONS, Limits, open_source, size_text, sniff_format

IMPORT_TASK = "tabular.import"
#: States from which an import may (still, or again) be set up and run: nothing was written.
RUNNABLE = ("draft", "checked", "not_applied")
UNDO_TASK = "tabular.undo"
CHUNK = 1024 * 1024
FILENAME_MAX = 255

NOT_UNDOABLE = _("Only an applied import can be undone.")
CHANGED_SINCE = _(
    "${count} of the records this import wrote were changed since, so it can no longer be "
    "undone. Change them back by hand, or import a corrected file."
)
IN_USE = _(
    "Some records this import created are now used by other records (a follow-up, an order …), "
    "so it can no longer be undone."
)
FILE_GONE = _("The uploaded file is no longer available. Upload it again.")
STOPPED = _(
    "The import stopped because of an error. Nothing was imported. Try again, or ask an "
    "administrator to look at the log."
)


def imports_dir(settings: dict[str, Any]) -> Path:
    """Where uploads and error files are kept."""
    return Path(settings["guanxi.var_dir"]) / "imports"


def import_dir(settings: dict[str, Any], data_import: DataImport) -> Path:
    """The folder of one import's files."""
    return imports_dir(settings) / data_import.stored_name


def source_path(settings: dict[str, Any], data_import: DataImport) -> Path:
    """The uploaded file."""
    return import_dir(settings, data_import) / ("source" + EXTENSIONS[data_import.file_format])


def error_path(settings: dict[str, Any], data_import: DataImport) -> Path:
    """The import's error file (the failed rows with an error column)."""
    return import_dir(settings, data_import) / error_file_name(data_import.file_format)


def safe_filename(name: str) -> str:
    """The last part of an uploaded file's name, printable, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(char for char in unicodedata.normalize("NFC", base) if char.isprintable())
    return base.strip()[-FILENAME_MAX:] or "upload"


def save_upload(settings: dict[str, Any], stream: BinaryIO, limits: Limits) -> tuple[str, int, str]:
    """Copy an upload into a new folder: ``(stored name, size, format)``.

    Refused (and nothing kept) when larger than the limit.
    """
    stored_name = secrets.token_hex(16)
    folder = imports_dir(settings) / stored_name
    folder.mkdir(parents=True, mode=0o700)
    target = folder / "upload"
    size = 0
    head = b""
    with target.open("wb") as handle:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limits.max_bytes:
                handle.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise errors.FileRefused(errors.TOO_LARGE, limit=size_text(limits.max_bytes))
            head = head or chunk[:8]
            handle.write(chunk)
    file_format = sniff_format(head)
    target.rename(folder / ("source" + EXTENSIONS[file_format]))
    return stored_name, size, file_format


def discard_files(settings: dict[str, Any], data_import: DataImport) -> None:
    """Delete an import's uploaded file and error file."""
    shutil.rmtree(import_dir(settings, data_import), ignore_errors=True)


def reading_options(data_import: DataImport, settings: dict[str, Any]) -> dict[str, Any]:
    """How to open the import's file again (encoding, delimiter, sheet, limits)."""
    return {
        "encoding": data_import.encoding if data_import.file_format == "csv" else None,
        "delimiter": data_import.delimiter if data_import.file_format == "csv" else None,
        "sheet": data_import.sheet if data_import.file_format != "csv" else None,
        "limits": Limits.from_settings(settings),
    }


def read_header(request: Any, data_import: DataImport, **choices: Any) -> None:
    """(Re)read the file's header with the user's ``encoding`` or ``sheet`` and map it.

    Raises ``FileRefused`` when the file cannot be read that way.
    """
    settings = request.registry.settings
    options = reading_options(data_import, settings)
    options.update({name: value for name, value in choices.items() if value})
    path = source_path(settings, data_import)
    if not path.exists():
        raise errors.FileRefused(FILE_GONE)
    with open_source(path, **options) as source:
        data_import.encoding = source.encoding
        data_import.delimiter = source.delimiter
        data_import.sheet = source.sheet
        data_import.header = source.header
    tabular_type = tabular_types(request)[data_import.type]
    fields = tabular_type.importer_for(request).fields()
    data_import.mapping = suggested_mapping(
        request.registry,
        request.dbsession,
        data_import.user_id,
        data_import.type,
        source.header,
        fields,
    )


def new_import(
    request: Any, tabular_type: TabularType, filename: str, stream: BinaryIO
) -> DataImport:
    """Store an upload as a draft import of ``tabular_type``, its columns already mapped.

    Raises ``FileRefused`` (and keeps nothing) when the file cannot be read.
    """
    settings = request.registry.settings
    stored_name, size, file_format = save_upload(settings, stream, Limits.from_settings(settings))
    data_import = DataImport(
        type=tabular_type.name,
        user_id=request.identity.user_id,
        filename=safe_filename(filename),
        stored_name=stored_name,
        file_format=file_format,
        size=size,
        locale=request.locale_name,
        match_keys=list(tabular_type.match_keys),
        state="draft",
    )
    try:
        read_header(request, data_import)
    except errors.FileRefused:
        discard_files(settings, data_import)
        raise
    request.dbsession.add(data_import)
    request.dbsession.flush()
    return data_import


def configure(
    data_import: DataImport,
    tabular_type: TabularType,
    *,
    mapping: Sequence[str] | None = None,
    on_duplicate: str | None = None,
    match_keys: Iterable[str] | None = None,
    valid_rows_only: bool | None = None,
    dry_run: bool | None = None,
    keys: set[str] | None = None,
) -> None:
    """Set the mapping (``keys``: the type's field keys) and the options that are given."""
    if mapping is not None and keys is not None:
        data_import.mapping = checked_mapping(list(mapping), keys)
    if on_duplicate in DUPLICATE_POLICIES:
        data_import.on_duplicate = on_duplicate
    if match_keys is not None:
        data_import.match_keys = [key for key in tabular_type.match_keys if key in set(match_keys)]
    if valid_rows_only is not None:
        data_import.valid_rows_only = valid_rows_only
    if dry_run is not None:
        data_import.dry_run = dry_run


def start(request: Any, data_import: DataImport) -> None:
    """Queue the import as a background job (it starts once the request commits)."""
    params = {"import_id": data_import.id, "locale": data_import.locale}
    job = submit(request.dbsession, request.registry, IMPORT_TASK, params, request.identity.user_id)
    data_import.state = "queued"
    data_import.job_id = job.id
    data_import.problem = None
    data_import.has_error_file = False


def execute(request: Any, data_import: DataImport, progress: Callable[..., None]) -> Counts:
    """Run a configured import (in a request acting as its user); its counts.

    Writes the outcome on the import; a file that cannot be read fails it with
    the reason.  Safe to run again after a crash: an applied import is left alone.
    """
    settings = request.registry.settings
    if data_import.state == "done":
        return _counts(data_import)
    tabular_type = tabular_types(request)[data_import.type]
    with request.tm:
        plan = Plan.build(
            request,
            tabular_type,
            data_import.mapping,
            data_import.on_duplicate,
            data_import.match_keys,
        )
    work_dir = import_dir(settings, data_import)
    sqlite = request.dbsession.get_bind().dialect.name == "sqlite"

    def report(failures: Iterable[Failure]) -> None:
        header = data_import.header
        errors_header = request.translate(ERRORS_HEADER)
        title = request.translate(tabular_type.label)
        path = error_path(settings, data_import)
        write_error_file(path, data_import.file_format, header, failures, errors_header, title)
        data_import.has_error_file = True

    try:
        with open_source(
            source_path(settings, data_import), **reading_options(data_import, settings)
        ) as source:
            outcome = run(
                plan,
                data_import,
                source.rows(),
                work_dir,
                dry_run=data_import.dry_run,
                valid_rows_only=data_import.valid_rows_only,
                progress=progress,
                write_progress=not sqlite,
                report=report,
            )
    except (errors.FileRefused, FileNotFoundError) as refused:
        problem = (
            refused if isinstance(refused, errors.FileRefused) else errors.FileRefused(FILE_GONE)
        )
        with request.tm:
            request.dbsession.add(data_import)
            data_import.state = "failed"
            data_import.problem = message_record(problem.message, problem.mapping)
            data_import.finished_at = utcnow()
        return Counts()
    if not outcome.applied:
        with request.tm:
            request.dbsession.add(data_import)
            state = "checked" if data_import.dry_run else "not_applied"
            record(data_import, outcome.counts, state)
            data_import.has_error_file = outcome.counts.failed > 0
    return outcome.counts


def _counts(data_import: DataImport) -> Counts:
    return Counts(
        data_import.rows,
        data_import.created,
        data_import.updated,
        data_import.skipped,
        data_import.failed,
    )


# -- undo -------------------------------------------------------------------------------


class UndoRefused(Exception):
    """An import cannot be undone; ``message`` (a translation string) says why."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def undo(request: Any, data_import: DataImport) -> None:
    """Delete the records the import created and restore those it updated, in one go.

    Refused when the import is not applied, when any of its records changed
    since (their version moved) or when a created record is now in use.
    """
    if data_import.state != "done":
        raise UndoRefused(NOT_UNDOABLE)
    session = request.dbsession
    tabular_type = tabular_types(request)[data_import.type]
    importer = tabular_type.importer_for(request)
    links = list(
        session.scalars(select(ImportedRecord).where(ImportedRecord.import_id == data_import.id))
    )
    versions = importer.versions([link.record_id for link in links])
    changed = [
        link
        for link in links
        if link.record_id in versions and versions[link.record_id] != link.version
    ]
    if changed:
        raise UndoRefused(_(CHANGED_SINCE, mapping={"count": len(changed)}))
    created = [
        link.record_id for link in links if link.action == "created" and link.record_id in versions
    ]
    befores = [
        (link.record_id, link.before or {}, link.version)
        for link in links
        if link.action == "updated" and link.record_id in versions
    ]
    try:
        with session.begin_nested():
            importer.delete(created)
            importer.removed(created)
            importer.restore(befores)
            importer.written([], [record_id for record_id, _before, _version in befores])
    except IntegrityError:
        raise UndoRefused(IN_USE) from None
    data_import.state = "undone"
    data_import.undone_at = utcnow()
    data_import.undone_by_id = request.identity.user_id
    record_event(
        session,
        "import_undo",
        record_type=data_import.type,
        record_id=data_import.id,
        summary=f"{data_import.filename}: deleted {len(created)}, restored {len(befores)}",
        changes={"file": data_import.filename, "deleted": len(created), "restored": len(befores)},
    )


def start_undo(request: Any, data_import: DataImport) -> None:
    """Queue the undo of an applied import as a background job."""
    params = {"import_id": data_import.id, "locale": request.locale_name}
    job = submit(request.dbsession, request.registry, UNDO_TASK, params, request.identity.user_id)
    data_import.job_id = job.id


# -- background tasks -------------------------------------------------------------------


def _load(request: Any, context: JobContext) -> DataImport:
    data_import = request.dbsession.get(DataImport, context.params["import_id"])
    if data_import is None:
        raise JobFailed(FILE_GONE)
    return data_import


def run_import_job(context: JobContext) -> dict[str, Any]:
    """The ``tabular.import`` task: run the import as the user who started it."""
    locale = context.params.get("locale")
    with acting_request(context.registry, context.user_id, locale=locale) as request:
        with request.tm:
            data_import = _load(request, context)
            if data_import.state != "done":
                data_import.state = "running"
        try:
            counts = execute(request, data_import, context.progress)
        except Exception:
            with request.tm:
                request.dbsession.add(data_import)
                data_import.state = "failed"
                data_import.problem = message_record(STOPPED)
            raise
    return counts.as_dict()


def run_undo_job(context: JobContext) -> dict[str, Any]:
    """The ``tabular.undo`` task: undo the import as the user who asked."""
    locale = context.params.get("locale")
    with acting_request(context.registry, context.user_id, locale=locale) as request, request.tm:
        # A writer from the start: on SQLite a transaction that read first cannot write
        # once another connection (a page asking how the undo goes) committed meanwhile.
        begin_for_writing(request.dbsession)
        data_import = _load(request, context)
        try:
            undo(request, data_import)
        except UndoRefused as refused:
            raise JobFailed(refused.message) from None
    return {"undone": data_import.id}


TASKS = [BackgroundTask(IMPORT_TASK, run_import_job), BackgroundTask(UNDO_TASK, run_undo_job)]


# -- in-process -------------------------------------------------------------------------


def run_import(
    registry: Any,
    type_name: str,
    path: Path,
    *,
    user: str | int,
    mapping: dict[str, str] | None = None,
    on_duplicate: str = "skip",
    match_keys: Iterable[str] | None = None,
    valid_rows_only: bool = False,
    dry_run: bool = False,
    errors_to: Path | None = None,
    progress: Callable[..., None] | None = None,
    actor_kind: str = "cli",
    encoding: str | None = None,
    sheet: str | None = None,
) -> tuple[Counts, DataImport]:
    """Import the file at ``path`` as ``user``, in this process; the counts and the import.

    The same pipeline as the pages: the file is kept as an import (undoable
    from its page), ``mapping`` (header → field key) replaces the automatic
    one, ``encoding`` and ``sheet`` replace what is detected, and the error file
    is copied to ``errors_to`` when rows failed.
    Raises ``FileRefused`` for an unreadable file, ``KeyError`` for an unknown
    type, ``PermissionError`` without the import permission.
    """
    from core.tabular.mapping import mapping_from_names

    with acting_request(registry, user, actor_kind=actor_kind) as request:
        tabular_type = tabular_types(request)[type_name]
        if not request.identity.can(tabular_type.import_permission):
            raise PermissionError(tabular_type.import_permission)
        with request.tm, path.open("rb") as stream:
            data_import = new_import(request, tabular_type, path.name, stream)
            if encoding or sheet:
                read_header(request, data_import, encoding=encoding, sheet=sheet)
            keys = {field.key for field in tabular_type.importer_for(request).fields()}
            if mapping is not None:
                chosen, unknown = mapping_from_names(data_import.header, mapping, keys)
                if unknown:
                    raise errors.FileRefused(errors.NO_COLUMN, name=", ".join(unknown))
                data_import.mapping = chosen
            configure(
                data_import,
                tabular_type,
                on_duplicate=on_duplicate,
                match_keys=match_keys,
                valid_rows_only=valid_rows_only,
                dry_run=dry_run,
            )
            data_import.state = "running"
        counts = execute(request, data_import, progress or (lambda *args, **kwargs: None))
        if errors_to is not None and data_import.has_error_file:
            shutil.copyfile(error_path(registry.settings, data_import), errors_to)
    return counts, data_import


# -- preview ----------------------------------------------------------------------------


@dataclass
class PreviewRow:
    """One row as the preview shows it: its cells, the problems per column, what will happen."""

    number: int
    cells: list[str]
    problems: dict[int, list[str]] = field(default_factory=dict)
    row_problems: list[str] = field(default_factory=list)
    #: ``new``, ``existing`` (matches a record: the duplicate policy applies) or ``error``.
    outcome: str = "new"


@dataclass
class Preview:
    """The first rows of a file as they will be imported, and the workbook's sheets."""

    rows: list[PreviewRow]
    sheets: list[str]


def preview(request: Any, data_import: DataImport, limit: int = PREVIEW_ROWS) -> Preview:
    """The first ``limit`` rows checked as the import will check them (nothing is written)."""
    settings = request.registry.settings
    tabular_type = tabular_types(request)[data_import.type]
    plan = Plan.build(request, tabular_type, data_import.mapping)
    example = plan.example()
    found: list[tuple[Any, dict[str, Any]]] = []
    with open_source(
        source_path(settings, data_import), **reading_options(data_import, settings)
    ) as source:
        sheets = source.sheets
        for source_row in source.rows():
            values = mapped(source_row.values, plan.mapping)
            if values and not is_example(values, example):
                found.append((source_row, values))
            if len(found) == limit:
                break
    checked = plan.importer.check([(row.number, values) for row, values in found])
    columns = {key: index for index, key in enumerate(plan.mapping) if key}
    matches = {
        key: plan.importer.existing(key, [row.keys.get(key) for row in checked])
        for key in tabular_type.match_keys
        if key in columns
    }
    rows = []
    for (source_row, _values), result in zip(found, checked, strict=True):
        shown = PreviewRow(source_row.number, [cell_text(value) for value in source_row.values])
        for key, messages in result.errors.items():
            texts = [request.translate(message) for message in messages]
            if key in columns:
                shown.problems.setdefault(columns[key], []).extend(texts)
            else:
                shown.row_problems.extend(texts)
        for key in result.missing:
            required = request.translate(REQUIRED)
            shown.row_problems.append(f"{plan.label(key)}: {required}")
        if shown.problems or shown.row_problems:
            shown.outcome = "error"
        elif any(result.keys.get(key) in found_ids for key, found_ids in matches.items()):
            shown.outcome = "existing"
        rows.append(shown)
    return Preview(rows, sheets)
