"""The import pages: upload → map the columns → preview and choose → run with progress → result.

Every step works on the user's own import (any other id answers 404) of a type
they may still import.  The run is a background job: the result page shows
its progress, polling with htmx, and keeps showing it after a reload.  From
the result the user downloads the failed rows to fix them, and undoes the import.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from core.background import BackgroundJob, message_text, recover
from core.i18n import _
from core.security.policy import AUTHENTICATED
from core.tabular import errors
from core.tabular.catalog import permitted, tabular_types
from core.tabular.imports import (
    RUNNABLE,
    configure,
    error_path,
    new_import,
    preview,
    read_header,
    start,
    start_undo,
)
from core.tabular.mapping import IGNORED, remember
from core.tabular.models import DUPLICATE_POLICIES, DataImport
from core.tabular.sources import MEDIA_TYPES
from core.tabular.template import build_template
from core.validation import parse_id
from core.web.downloads import download_headers, file_download

TEMPLATES = "core:templates/imports/"
HISTORY_ROWS = 30
#: Encodings offered when the detected one reads a CSV file wrongly.
ENCODINGS = ("utf-8", "gb18030", "big5", "utf-16", "cp1252")
#: Sample cells shown per column on the mapping page.
SAMPLES = 3

NO_FILE = _("Choose a file to upload.")
NO_TYPE = _("Choose what to import.")
RUNNING = _("The import has started. You can leave this page; it keeps running.")
UNDO_STARTED = _("The import is being undone.")
NOT_READY = _("This import has already been started.")
POLICIES = {
    "skip": _("Skip the row (keep the existing record as it is)"),
    "update": _("Update the existing record with the row's values"),
    "create": _("Create a new record anyway"),
}
STAGES = {
    "": _("Waiting to start…"),
    "checking": _("Reading and checking the rows"),
    "saving": _("Saving"),
}
STATES = {
    "draft": _("Not started"),
    "queued": _("Waiting to start"),
    "running": _("Running"),
    "done": _("Imported"),
    "checked": _("Checked (dry run)"),
    "not_applied": _("Not imported: some rows failed"),
    "failed": _("The file could not be read"),
    "undone": _("Undone"),
}


def import_factory(request: Any) -> DataImport:
    """Route context: the user's import ``{id}`` of a type they may import, else 404."""
    import_id = parse_id(request.matchdict.get("id"))
    if request.identity is None:
        raise HTTPForbidden()
    data_import = request.dbsession.get(DataImport, import_id) if import_id else None
    if (
        data_import is None
        or data_import.user_id != request.identity.user_id
        or data_import.type not in permitted(request, "import")
    ):
        raise HTTPNotFound()
    return data_import


def page(request: Any, data_import: DataImport | None, title: Any, **values: Any) -> dict:
    """Template data shared by the import pages (the type, breadcrumbs, labels)."""
    crumbs: list[tuple[str, str | None]] = []
    tabular_type = None
    if data_import is not None:
        crumbs.append((request.translate(_("Import")), request.route_path("imports")))
        tabular_type = tabular_types(request).get(data_import.type)
    crumbs.append((request.translate(title), None))
    return {
        "data_import": data_import,
        "tabular_type": tabular_type,
        "states": STATES,
        "breadcrumbs": crumbs,
        **values,
    }


@view_config(
    route_name="imports",
    request_method="GET",
    renderer=TEMPLATES + "index.jinja2",
    permission=AUTHENTICATED,
)
def imports_page(request: Any, error: Any = None) -> dict[str, Any]:
    """Start an import (choose the kind of records, upload the file) and the user's history."""
    history = list(
        request.dbsession.scalars(
            select(DataImport)
            .where(DataImport.user_id == request.identity.user_id)
            .order_by(DataImport.created_at.desc(), DataImport.id.desc())
            .limit(HISTORY_ROWS)
        )
    )
    types = permitted(request, "import")
    chosen = request.params.get("type")
    return page(
        request,
        None,
        _("Import"),
        types=types,
        chosen=chosen if chosen in types else next(iter(types), None),
        history=history,
        all_types=tabular_types(request),
        error=error,
    )


@view_config(
    route_name="imports",
    request_method="POST",
    renderer=TEMPLATES + "index.jinja2",
    permission=AUTHENTICATED,
)
def upload(request: Any) -> Any:
    """Store the uploaded file as a draft import and go on to its columns."""
    tabular_type = permitted(request, "import").get(request.POST.get("type", ""))
    upload_field = request.POST.get("file")
    if tabular_type is None:
        request.response.status_code = 400
        return imports_page(request, NO_TYPE)
    if not hasattr(upload_field, "file"):
        request.response.status_code = 400
        return imports_page(request, NO_FILE)
    try:
        data_import = new_import(
            request, tabular_type, upload_field.filename or "", upload_field.file
        )
    except errors.FileRefused as refused:
        request.response.status_code = 400
        return imports_page(request, _(refused.message, mapping=refused.mapping))
    return HTTPSeeOther(request.route_path("import_mapping", id=data_import.id))


@view_config(route_name="import_template", permission=AUTHENTICATED)
def template(request: Any) -> Response:
    """The XLSX template of a record type the user may import, in their language."""
    tabular_type = permitted(request, "import").get(request.matchdict["type"])
    if tabular_type is None:
        raise HTTPNotFound()
    fields = tabular_type.importer_for(request).fields()
    body = build_template(request, tabular_type, fields)
    response = Response(body=body, content_type=MEDIA_TYPES["xlsx"])
    name = request.translate(
        _("${records} template", mapping={"records": request.translate(tabular_type.label)})
    )
    return download_headers(response, f"{name}.xlsx")


def samples(request: Any, data_import: DataImport) -> tuple[list[list[str]], list[str]]:
    """A few values of each column, to recognise it by, and the workbook's sheets."""
    found = preview(request, data_import, SAMPLES)
    width = len(data_import.header)
    columns = [
        [row.cells[index] if index < len(row.cells) else "" for row in found.rows]
        for index in range(width)
    ]
    return columns, found.sheets


def to_result(request: Any, data_import: DataImport) -> HTTPSeeOther:
    """On to the import's result page (once it started, it is no longer set up)."""
    return HTTPSeeOther(request.route_path("import_detail", id=data_import.id))


def type_and_fields(request: Any, data_import: DataImport) -> tuple[Any, list[Any]]:
    """The import's type and the fields its columns may go to."""
    tabular_type = tabular_types(request)[data_import.type]
    return tabular_type, tabular_type.importer_for(request).fields()


@view_config(
    route_name="import_mapping",
    renderer=TEMPLATES + "mapping.jinja2",
    permission=AUTHENTICATED,
)
def mapping_page(context: DataImport, request: Any) -> Any:
    """Choose the field of each column (matched already); the encoding or sheet if needed."""
    data_import = context
    if data_import.state not in RUNNABLE:
        return to_result(request, data_import)
    tabular_type, fields = type_and_fields(request, data_import)
    error = None
    if request.method == "POST":
        encoding = request.POST.get("encoding") or None
        sheet = request.POST.get("sheet") or None
        changed = (encoding and encoding != data_import.encoding) or (
            sheet and sheet != data_import.sheet
        )
        try:
            if changed:
                read_header(request, data_import, encoding=encoding, sheet=sheet)
            else:
                chosen = [
                    request.POST.get(f"column-{index}", IGNORED)
                    for index in range(len(data_import.header))
                ]
                configure(data_import, tabular_type, mapping=chosen, keys={f.key for f in fields})
                if request.POST.get("remember"):
                    remember(
                        request.dbsession,
                        data_import.user_id,
                        data_import.type,
                        data_import.header,
                        data_import.mapping,
                    )
                return HTTPSeeOther(request.route_path("import_preview", id=data_import.id))
        except errors.FileRefused as refused:
            request.response.status_code = 400
            error = _(refused.message, mapping=refused.mapping)
    try:
        columns, sheets = samples(request, data_import)
    except errors.FileRefused as refused:
        request.response.status_code = 400
        error, columns, sheets = _(refused.message, mapping=refused.mapping), [], []
    unmapped = [
        request.translate(f.label)
        for f in fields
        if f.required and f.key not in data_import.mapping
    ]
    return page(
        request,
        data_import,
        _("Match the columns"),
        fields=fields,
        columns=columns,
        sheets=sheets,
        encodings=ENCODINGS,
        unmapped=unmapped,
        error=error,
    )


@view_config(
    route_name="import_preview",
    renderer=TEMPLATES + "preview.jinja2",
    permission=AUTHENTICATED,
)
def preview_page(context: DataImport, request: Any) -> Any:
    """The first rows as they will be imported, problems marked; duplicates and how to run."""
    data_import = context
    if data_import.state not in RUNNABLE:
        return to_result(request, data_import)
    tabular_type, listed = type_and_fields(request, data_import)
    fields = {field.key: field for field in listed}
    try:
        rows = preview(request, data_import).rows
        error = None
    except errors.FileRefused as refused:
        request.response.status_code = 400
        rows, error = [], _(refused.message, mapping=refused.mapping)
    return page(
        request,
        data_import,
        _("Check and import"),
        rows=rows,
        fields=fields,
        policies=POLICIES,
        match_keys=[key for key in tabular_type.match_keys if key in data_import.mapping],
        error=error,
    )


@view_config(route_name="import_run", request_method="POST", permission=AUTHENTICATED)
def run_page(context: DataImport, request: Any) -> HTTPSeeOther:
    """Start the import (or its dry run) with the chosen options."""
    data_import = context
    if data_import.state not in RUNNABLE:
        request.flash(NOT_READY, "warning")
        return to_result(request, data_import)
    tabular_type = tabular_types(request)[data_import.type]
    policy = request.POST.get("on_duplicate")
    configure(
        data_import,
        tabular_type,
        on_duplicate=policy if policy in DUPLICATE_POLICIES else "skip",
        match_keys=request.POST.getall("match"),
        valid_rows_only=request.POST.get("valid_rows_only") == "1",
        dry_run=request.POST.get("dry_run") == "1",
    )
    start(request, data_import)
    request.flash(RUNNING, "info")
    return to_result(request, data_import)


def job_of(request: Any, data_import: DataImport) -> BackgroundJob | None:
    """The import's latest job; one whose process died is started again."""
    if data_import.job_id is None:
        return None
    job = request.dbsession.get(BackgroundJob, data_import.job_id)
    if job is not None and not job.finished:
        recover(request.registry, request.dbsession, job)
    return job


@view_config(
    route_name="import_detail",
    renderer=TEMPLATES + "detail.jinja2",
    permission=AUTHENTICATED,
)
def detail(context: DataImport, request: Any) -> Any:
    """The import's progress while it runs, then its result: counts, failed rows, undo."""
    data_import = context
    if data_import.state == "draft":
        return HTTPSeeOther(request.route_path("import_mapping", id=data_import.id))
    job = job_of(request, data_import)
    problem = message_text(request, data_import.problem) if data_import.problem else None
    job_problem = job.problem if job is not None and job.state == "failed" else None
    return page(
        request,
        data_import,
        _("Import of ${file}", mapping={"file": data_import.filename}),
        job=job,
        stages=STAGES,
        runnable=RUNNABLE,
        problem=problem,
        job_problem=message_text(request, job_problem) if job_problem else None,
        running=job is not None and not job.finished,
    )


@view_config(route_name="import_errors", permission=AUTHENTICATED)
def error_file(context: DataImport, request: Any) -> Response:
    """The failed rows with an error column, in the file's own format."""
    path = error_path(request.registry.settings, context)
    if not context.has_error_file or not path.is_file():
        raise HTTPNotFound()
    stem = context.filename.rsplit(".", 1)[0]
    name = request.translate(_("${file} - rows to fix", mapping={"file": stem})) + path.suffix
    return file_download(request, path, name, MEDIA_TYPES[path.suffix.lstrip(".")])


@view_config(route_name="import_undo", request_method="POST", permission=AUTHENTICATED)
def undo_page(context: DataImport, request: Any) -> HTTPSeeOther:
    """Undo the import in the background (refusals show on the result page)."""
    if context.state == "done":
        start_undo(request, context)
        request.flash(UNDO_STARTED, "info")
    return HTTPSeeOther(request.route_path("import_detail", id=context.id))


def includeme(config: Any) -> None:
    """The import pages' routes; an import's own pages load it for its owner only."""
    one = r"/imports/{id:\d+}"
    config.add_route("imports", "/imports")
    config.add_route("import_template", "/imports/templates/{type}")
    config.add_route("import_mapping", one + "/columns", factory=import_factory)
    config.add_route("import_preview", one + "/preview", factory=import_factory)
    config.add_route("import_run", one + "/run", factory=import_factory)
    config.add_route("import_detail", one, factory=import_factory)
    config.add_route("import_errors", one + "/errors", factory=import_factory)
    config.add_route("import_undo", one + "/undo", factory=import_factory)
    config.scan("core.tabular.views")
