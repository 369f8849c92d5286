"""REST API of imports and exports.

``POST /api/v1/imports`` (multipart: ``type``, ``file``, optional ``mapping`` as a
JSON object ``{header: field}``, ``on_duplicate``, ``match``, ``valid_rows_only``,
``dry_run``, ``encoding``, ``sheet``) starts an import and answers 202 with the
job; ``GET /api/v1/imports/{id}`` gives its progress and result, ``GET
/api/v1/imports/{id}/errors`` the error file, ``POST …/undo`` undoes it.

``POST /api/v1/exports`` (JSON: ``type``, ``format``, ``filters`` as the type's
API list takes them, ``sort``) answers with the file, or 202 with a job for a
large export; ``GET /api/v1/exports/{id}`` and ``…/file`` follow it up.
"""

from __future__ import annotations

import json
from typing import Any

from pyramid.view import view_config
from webob.multidict import MultiDict

from core.api.problems import ProblemError
from core.api.writes import read_json, validation_problem
from core.background import BackgroundJob, message_text
from core.contributions import TabularType
from core.i18n import _
from core.security.policy import AUTHENTICATED
from core.tabular import errors
from core.tabular.catalog import permitted, tabular_types
from core.tabular.export_views import export_job_factory
from core.tabular.exports import FORMATS, job_file, start_export
from core.tabular.imports import (
    configure,
    error_path,
    new_import,
    read_header,
    start,
    start_undo,
)
from core.tabular.mapping import mapping_from_names
from core.tabular.models import DUPLICATE_POLICIES, DataImport
from core.tabular.sources import MEDIA_TYPES
from core.tabular.views import import_factory, job_of
from core.web.downloads import file_download

TRUE = ("1", "true", "yes")


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in TRUE


def serialize_job(job: BackgroundJob | None) -> dict[str, Any] | None:
    """A background job's state and progress."""
    if job is None:
        return None
    return {
        "id": job.id,
        "state": job.state,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
    }


def serialize_import(request: Any, data_import: DataImport) -> dict[str, Any]:
    """An import: options, state, progress, counts, and where its error file is."""
    job = job_of(request, data_import)
    problem = data_import.problem or (job.problem if job is not None else None)
    return {
        "id": data_import.id,
        "type": data_import.type,
        "file": data_import.filename,
        "format": data_import.file_format,
        "state": data_import.state,
        "header": data_import.header,
        "mapping": dict(zip(data_import.header, data_import.mapping, strict=False)),
        "on_duplicate": data_import.on_duplicate,
        "match": data_import.match_keys,
        "valid_rows_only": data_import.valid_rows_only,
        "dry_run": data_import.dry_run,
        "job": serialize_job(job),
        "counts": {
            "rows": data_import.rows,
            "created": data_import.created,
            "updated": data_import.updated,
            "skipped": data_import.skipped,
            "failed": data_import.failed,
        },
        "problem": message_text(request, problem) if problem else None,
        "errors_url": request.route_url("api_import_errors", id=data_import.id)
        if data_import.has_error_file
        else None,
    }


FORBIDDEN = {
    "import": _("You may not import these records."),
    "export": _("You may not export these records."),
}


def requested_type(request: Any, name: Any, action: str) -> TabularType:
    """The type ``name`` to ``import`` or ``export``: 422 when there is none, 403 when the
    caller may not."""
    tabular_type = tabular_types(request).get(name) if isinstance(name, str) else None
    offered = None if tabular_type is None else getattr(tabular_type, f"{action}er")
    if offered is None:
        raise validation_problem({"type": [request.translate(_("There is no such type."))]})
    if name not in permitted(request, action):
        raise ProblemError(403, _("Forbidden"), FORBIDDEN[action])
    return tabular_type  # type: ignore[return-value]


def _refused(refused: errors.FileRefused) -> ProblemError:
    return ProblemError(
        422, _("The file cannot be imported"), _(refused.message, mapping=refused.mapping)
    )


@view_config(
    route_name="api_imports", request_method="POST", renderer="json", permission=AUTHENTICATED
)
def create_import(request: Any) -> dict[str, Any]:
    """Upload a file and start importing it; 202 with the import and its job."""
    post = request.POST
    tabular_type = requested_type(request, post.get("type", ""), "import")
    upload = post.get("file")
    if not hasattr(upload, "file"):
        raise validation_problem(
            {"file": [request.translate(_("Send the file as multipart form data."))]}
        )
    policy = post.get("on_duplicate", "skip")
    if policy not in DUPLICATE_POLICIES:
        raise validation_problem(
            {"on_duplicate": [request.translate(_("Give skip, update or create."))]}
        )
    try:
        chosen = json.loads(post["mapping"]) if post.get("mapping") else None
    except ValueError:
        chosen = "invalid"
    if chosen is not None and not (
        isinstance(chosen, dict) and all(isinstance(v, str) for v in chosen.values())
    ):
        raise validation_problem(
            {
                "mapping": [
                    request.translate(_("Give the mapping as a JSON object {header: field}."))
                ]
            }
        )
    try:
        data_import = new_import(request, tabular_type, upload.filename or "", upload.file)
        if post.get("encoding") or post.get("sheet"):
            read_header(
                request, data_import, encoding=post.get("encoding"), sheet=post.get("sheet")
            )
    except errors.FileRefused as refused:
        raise _refused(refused) from None
    keys = {field.key for field in tabular_type.importer_for(request).fields()}
    if chosen is not None:
        unknown = sorted(set(chosen.values()) - keys - {""})
        mapping, missing = mapping_from_names(data_import.header, chosen, keys)
        if unknown or missing:
            problems = [f"{name}" for name in [*missing, *unknown]]
            raise validation_problem(
                {
                    "mapping": [
                        request.translate(
                            _(errors.NO_COLUMN, mapping={"name": ", ".join(problems)})
                        )
                    ]
                }
            )
        data_import.mapping = mapping
    match = post.get("match")
    configure(
        data_import,
        tabular_type,
        on_duplicate=policy,
        match_keys=match.split(",") if match else None,
        valid_rows_only=_flag(post.get("valid_rows_only")),
        dry_run=_flag(post.get("dry_run")),
    )
    start(request, data_import)
    request.dbsession.flush()
    request.response.status_code = 202
    request.response.location = request.route_url("api_import", id=data_import.id)
    return serialize_import(request, data_import)


@view_config(
    route_name="api_import", request_method="GET", renderer="json", permission=AUTHENTICATED
)
def get_import(context: DataImport, request: Any) -> dict[str, Any]:
    """An import's progress and result."""
    return serialize_import(request, context)


@view_config(route_name="api_import_errors", request_method="GET", permission=AUTHENTICATED)
def import_errors(context: DataImport, request: Any) -> Any:
    """The failed rows of an import, in its file's format, with an error column."""
    path = error_path(request.registry.settings, context)
    if not context.has_error_file or not path.is_file():
        raise ProblemError(404, _("Not found"), _("This import has no error file."))
    return file_download(request, path, path.name, MEDIA_TYPES[path.suffix.lstrip(".")])


@view_config(
    route_name="api_import_undo", request_method="POST", renderer="json", permission=AUTHENTICATED
)
def undo_import(context: DataImport, request: Any) -> dict[str, Any]:
    """Undo an applied import (202); 409 when it is not applied."""
    if context.state != "done":
        raise ProblemError(409, _("Conflict"), _("Only an applied import can be undone."))
    start_undo(request, context)
    request.dbsession.flush()
    request.response.status_code = 202
    return serialize_import(request, context)


def serialize_export(request: Any, job: BackgroundJob) -> dict[str, Any]:
    """An export job's progress and, when ready, its file's address and expiry."""
    ready = job_file(request.registry.settings, job) is not None
    return {
        **(serialize_job(job) or {}),
        "file_url": request.route_url("api_export_file", id=job.id) if ready else None,
        "rows": (job.result or {}).get("rows"),
        "expires_at": (job.result or {}).get("expires_at"),
    }


@view_config(
    route_name="api_exports", request_method="POST", renderer="json", permission=AUTHENTICATED
)
def create_export(request: Any) -> Any:
    """Export a type's API list: the file at once, or 202 with a job when it is large."""
    body = read_json(request)
    tabular_type = requested_type(request, body.get("type"), "export")
    file_format = body.get("format", "csv")
    if file_format not in FORMATS:
        raise validation_problem({"format": [request.translate(_("Give csv or xlsx."))]})
    filters = body.get("filters") or {}
    if not isinstance(filters, dict) or not all(isinstance(v, str | int) for v in filters.values()):
        raise validation_problem(
            {"filters": [request.translate(_("Give filters as an object of texts."))]}
        )
    params = MultiDict((str(key), str(value)) for key, value in filters.items())
    if isinstance(body.get("sort"), str):
        params["sort"] = body["sort"]
    response, job = start_export(request, tabular_type, "api", params, file_format)
    if response is not None:
        return response
    request.response.status_code = 202
    request.response.location = request.route_url("api_export", id=job.id)  # type: ignore[union-attr]
    return serialize_export(request, job)  # type: ignore[arg-type]


@view_config(
    route_name="api_export", request_method="GET", renderer="json", permission=AUTHENTICATED
)
def get_export(context: BackgroundJob, request: Any) -> dict[str, Any]:
    """An export job's progress and its file's address once ready."""
    return serialize_export(request, context)


@view_config(route_name="api_export_file", request_method="GET", permission=AUTHENTICATED)
def export_file(context: BackgroundJob, request: Any) -> Any:
    """The file of a finished export job (404 before, 410 once its link expired)."""
    path = job_file(request.registry.settings, context)
    if path is None:
        if context.state == "done":
            raise ProblemError(410, _("Gone"), _("The export's download link has expired."))
        raise ProblemError(404, _("Not found"), _("The export is not ready yet."))
    return file_download(
        request, path, context.result["filename"], MEDIA_TYPES[path.suffix.lstrip(".")]
    )


def includeme(config: Any) -> None:
    """The import and export API routes."""
    imports = r"/api/v1/imports/{id:\d+}"
    exports = r"/api/v1/exports/{id:\d+}"
    config.add_route("api_imports", "/api/v1/imports")
    config.add_route("api_import", imports, factory=import_factory)
    config.add_route("api_import_errors", imports + "/errors", factory=import_factory)
    config.add_route("api_import_undo", imports + "/undo", factory=import_factory)
    config.add_route("api_exports", "/api/v1/exports")
    config.add_route("api_export", exports, factory=export_job_factory)
    config.add_route("api_export_file", exports + "/file", factory=export_job_factory)
    config.scan("core.tabular.api")
