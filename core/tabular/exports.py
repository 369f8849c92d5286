"""The one export writer: any record type's rows as CSV or XLSX, streamed or as a job.

CSV is UTF-8 with a byte-order mark (Excel then reads Chinese correctly) and
starts streaming at once: rows are read from the database in batches and
written as they come, so memory stays flat however many there are.  Up to
``guanxi.export_direct_rows`` rows (default 50,000) the file is the response;
beyond that the export runs as a background job and the user is notified with
a download link that works for ``guanxi.export_link_hours`` (default 24).
Every export is audited, with what was asked for.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pyramid.response import FileIter, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.acting import acting_request
from core.audit import record_event
from core.background import BackgroundJob, JobContext, submit
from core.contributions import BackgroundTask, TabularType
from core.db import begin_for_writing, utcnow
from core.i18n import _, user_timezone
from core.notifications import notify
from core.tabular.catalog import tabular_types
from core.tabular.exporter import ExportPlan
from core.tabular.sources import MEDIA_TYPES
from core.tabular.writers import csv_chunks, write_xlsx
from core.web.downloads import download_headers

EXPORT_TASK = "tabular.export"
FORMATS = ("csv", "xlsx")
EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx"}
STREAM_BATCH = 2000
DEFAULT_DIRECT_ROWS = 50_000
DEFAULT_LINK_HOURS = 24
#: Uploads and error files of imports are kept this many days.
DEFAULT_IMPORT_KEEP_DAYS = 30

READY = _("Your export is ready")
READY_BODY = _("${title}: ${count} rows. The download link works for ${hours} hours.")


def direct_rows(settings: dict[str, Any]) -> int:
    """Exports of up to this many rows are downloaded at once; larger ones run as jobs."""
    return int(settings.get("guanxi.export_direct_rows") or DEFAULT_DIRECT_ROWS)


def link_hours(settings: dict[str, Any]) -> int:
    """How long an export job's download link works."""
    return int(settings.get("guanxi.export_link_hours") or DEFAULT_LINK_HOURS)


def exports_dir(settings: dict[str, Any]) -> Path:
    """Where export jobs leave their files."""
    return Path(settings["guanxi.var_dir"]) / "exports"


def plan_rows(session: Session, plan: ExportPlan) -> Iterator[list[Any]]:
    """The plan's rows as cell values, read from the database in batches."""
    readers = [column.value for column in plan.columns]
    result = session.execute(plan.query.execution_options(yield_per=STREAM_BATCH))
    for row in result:
        yield [read(row) for read in readers]


def write_export(
    session: Session,
    plan: ExportPlan,
    file_format: str,
    target: BinaryIO,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Write the whole export to ``target`` in ``file_format``; how many rows it has.

    ``progress(rows written)`` is called every few thousand rows.
    """
    count = 0

    def counted() -> Iterator[list[Any]]:
        nonlocal count
        for row in plan_rows(session, plan):
            count += 1
            if progress is not None and count % STREAM_BATCH == 0:
                progress(count)
            yield row

    header = [column.header for column in plan.columns]
    if file_format == "csv":
        for chunk in csv_chunks(header, counted()):
            target.write(chunk)
    else:
        write_xlsx(target, header, counted(), plan.title)
    return count


def build_plan(request: Any, tabular_type: TabularType, source: str, params: Any) -> ExportPlan:
    """The plan of the type's list page (``source="page"``) or API list (``"api"``)."""
    exporter = tabular_type.exporter_for(request)
    return exporter.page(params) if source == "page" else exporter.api(params)


def audit(request: Any, tabular_type: TabularType, plan: ExportPlan, file_format: str) -> None:
    """Record the export (who, which type, which filters, which columns) in the audit trail."""
    filters = {key: value for key, value in plan.filters.items() if value not in (None, "", [])}
    record_event(
        request.dbsession,
        "export",
        record_type=tabular_type.name,
        summary=f"{tabular_type.name} {file_format} "
        + "; ".join(f"{key}={value}" for key, value in filters.items()),
        changes={
            "format": file_format,
            "filters": filters,
            "columns": [column.header for column in plan.columns],
        },
    )


def filename(request: Any, plan: ExportPlan, file_format: str) -> str:
    """``客户-20261122-1030.csv``: the title and the time in the user's time zone."""
    stamp = utcnow().astimezone(user_timezone(request)).strftime("%Y%m%d-%H%M")
    return f"{plan.title}-{stamp}{EXTENSIONS[file_format]}"


def more_than(session: Session, plan: ExportPlan, limit: int) -> bool:
    """Whether the plan has more than ``limit`` rows (counting at most ``limit + 1``)."""
    capped = plan.query.order_by(None).limit(limit + 1).subquery()
    return (session.scalar(select(func.count()).select_from(capped)) or 0) > limit


def streamed_csv(factory: Any, plan: ExportPlan) -> Iterator[bytes]:
    """The CSV file in chunks: the header at once, then rows read in a session of their own
    (the request's has ended by the time the response is sent)."""
    sessions = []

    def rows() -> Iterator[list[Any]]:
        session = factory()
        sessions.append(session)
        yield from plan_rows(session, plan)

    try:
        yield from csv_chunks([column.header for column in plan.columns], rows())
    finally:
        for session in sessions:
            session.close()


def download(request: Any, plan: ExportPlan, file_format: str) -> Response:
    """The export as the response: CSV streamed, XLSX written to a temporary file first."""
    name = filename(request, plan, file_format)
    if file_format == "csv":
        response = Response(
            content_type=MEDIA_TYPES["csv"],
            charset="utf-8",
            app_iter=streamed_csv(request.registry["dbsession_factory"], plan),
        )
        return download_headers(response, name)
    target = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    write_export(request.dbsession, plan, file_format, target)
    size = target.tell()
    target.seek(0)
    response = Response(
        content_type=MEDIA_TYPES["xlsx"], app_iter=FileIter(target), content_length=size
    )
    return download_headers(response, name)


def start_export(
    request: Any, tabular_type: TabularType, source: str, params: Any, file_format: str
) -> tuple[Response | None, BackgroundJob | None]:
    """Export what the user asked for: ``(response, None)`` now, or ``(None, job)`` when large.

    The plan is built (and its parameters checked) before anything is recorded;
    the export is audited either way.
    """
    plan = build_plan(request, tabular_type, source, params)
    audit(request, tabular_type, plan, file_format)
    if not more_than(request.dbsession, plan, direct_rows(request.registry.settings)):
        return download(request, plan, file_format), None
    job = submit(
        request.dbsession,
        request.registry,
        EXPORT_TASK,
        {
            "type": tabular_type.name,
            "source": source,
            "format": file_format,
            "params": [[key, value] for key, value in params.items()],
            "locale": request.locale_name,
        },
        request.identity.user_id,
    )
    return None, job


def job_file(settings: dict[str, Any], job: BackgroundJob) -> Path | None:
    """The finished export job's file while its link works, else None."""
    result = job.result or {}
    if job.task != EXPORT_TASK or job.state != "done" or "file" not in result:
        return None
    if dt.datetime.fromisoformat(result["expires_at"]) <= utcnow():
        return None
    path = exports_dir(settings) / Path(result["file"]).name
    return path if path.is_file() else None


def run_export_job(context: JobContext) -> dict[str, Any]:
    """The ``tabular.export`` task: write the file as the user, then notify them."""
    from webob.multidict import MultiDict

    params = context.params
    settings = context.registry.settings
    folder = exports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + EXTENSIONS[params["format"]]
    locale = params.get("locale")
    hours = link_hours(settings)
    with acting_request(context.registry, context.user_id, locale=locale) as request:
        with request.tm:
            tabular_type = tabular_types(request)[params["type"]]
            plan = build_plan(request, tabular_type, params["source"], MultiDict(params["params"]))
            total = request.dbsession.scalar(
                select(func.count()).select_from(plan.query.order_by(None).subquery())
            )
            context.progress(0, total, stage="writing", force=True)
            with (folder / stored).open("wb") as target:
                count = write_export(
                    request.dbsession,
                    plan,
                    params["format"],
                    target,
                    lambda done: context.progress(done, total, stage="writing"),
                )
            name = filename(request, plan, params["format"])
        # A transaction of its own, begun as a writer: on SQLite the reading one above
        # cannot write any more once the progress (another connection) was committed.
        with request.tm:
            begin_for_writing(request.dbsession)
            body = _(READY_BODY, mapping={"title": plan.title, "count": count, "hours": hours})
            notify(
                request.dbsession,
                context.user_id,
                request.translate(READY),
                request.translate(body),
                request.route_path("export_job", id=context.job_id),
                kind="export",
            )
    expires = utcnow() + dt.timedelta(hours=hours)
    return {"file": stored, "filename": name, "rows": count, "expires_at": expires.isoformat()}


def remove_old_files(settings: dict[str, Any]) -> int:
    """Delete export files whose link expired and import files kept long enough; how many."""
    now = time.time()
    limits = [
        (exports_dir(settings), link_hours(settings) * 3600),
        (
            Path(settings["guanxi.var_dir"]) / "imports",
            int(settings.get("guanxi.import_keep_days") or DEFAULT_IMPORT_KEEP_DAYS) * 86400,
        ),
    ]
    removed = 0
    for folder, age in limits:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and now - path.stat().st_mtime > age:
                path.unlink(missing_ok=True)
                removed += 1
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_dir() and not any(path.iterdir()):
                os.rmdir(path)
    return removed


TASKS = [BackgroundTask(EXPORT_TASK, run_export_job)]


def export_to_file(
    registry: Any,
    type_name: str,
    path: Path,
    *,
    user: str | int,
    file_format: str = "csv",
    filters: dict[str, str] | None = None,
    actor_kind: str = "cli",
) -> int:
    """Export a type's records (its API list with ``filters``) to ``path`` as ``user``; rows.

    In-process, for the command line and measurements.  The export is audited.
    Raises ``KeyError`` for an unknown type, ``PermissionError`` without the
    export permission, ``ProblemError`` for filters the type's list refuses.
    """
    from webob.multidict import MultiDict

    with acting_request(registry, user, actor_kind=actor_kind) as request, request.tm:
        tabular_type = tabular_types(request)[type_name]
        if tabular_type.exporter is None or not request.identity.can(
            tabular_type.export_permission
        ):
            raise PermissionError(tabular_type.export_permission)
        plan = build_plan(request, tabular_type, "api", MultiDict(filters or {}))
        audit(request, tabular_type, plan, file_format)
        with path.open("wb") as target:
            return write_export(request.dbsession, plan, file_format, target)
