"""The export pages: export a list as the page shows it, and fetch large exports later.

The list page's Export menu posts the list's own parameters (filters, sort,
chosen columns) with the type and format; the file comes straight back, or,
for a large list, the user waits on a page showing the job's progress and is
notified with a download link that expires.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPGone, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from webob.multidict import MultiDict

from core.background import BackgroundJob, message_text, recover
from core.i18n import _
from core.security.policy import AUTHENTICATED
from core.tabular.catalog import permitted
from core.tabular.exporter import NoListPage
from core.tabular.exports import EXPORT_TASK, FORMATS, job_file, link_hours, start_export
from core.tabular.sources import MEDIA_TYPES
from core.validation import parse_id
from core.web.downloads import file_download

#: Parameters of the export form itself, not of the list.
OWN_PARAMS = ("type", "format", "csrf_token")
LARGE = _("This list is large: it is being exported in the background. We will notify you.")


def export_job_factory(request: Any) -> BackgroundJob:
    """Route context: the user's own export job ``{id}``, else 404."""
    if request.identity is None:
        raise HTTPForbidden()
    job_id = parse_id(request.matchdict.get("id"))
    job = request.dbsession.get(BackgroundJob, job_id) if job_id else None
    if job is None or job.task != EXPORT_TASK or job.user_id != request.identity.user_id:
        raise HTTPNotFound()
    return job


@view_config(route_name="exports", request_method="POST", permission=AUTHENTICATED)
def export_list(request: Any) -> Response:
    """Export the posted list as CSV or XLSX (403 without the type's export permission)."""
    tabular_type = permitted(request, "export").get(request.POST.get("type", ""))
    file_format = request.POST.get("format", "csv")
    if tabular_type is None:
        raise HTTPForbidden()
    if file_format not in FORMATS:
        raise HTTPNotFound()
    params = MultiDict((key, value) for key, value in request.POST.items() if key not in OWN_PARAMS)
    try:
        response, job = start_export(request, tabular_type, "page", params, file_format)
    except NoListPage:
        raise HTTPNotFound() from None
    if response is not None:
        return response
    request.flash(LARGE, "info")
    return HTTPSeeOther(request.route_path("export_job", id=job.id))  # type: ignore[union-attr]


@view_config(
    route_name="export_job",
    renderer="core:templates/exports/job.jinja2",
    permission=AUTHENTICATED,
)
def export_job(context: BackgroundJob, request: Any) -> dict[str, Any]:
    """A large export's progress, then its download link (until it expires)."""
    if not context.finished:
        recover(request.registry, request.dbsession, context)
    ready = job_file(request.registry.settings, context) is not None
    title = request.translate(_("Export"))
    return {
        "job": context,
        "ready": ready,
        "expired": context.state == "done" and not ready,
        "hours": link_hours(request.registry.settings),
        "problem": message_text(request, context.problem) if context.problem else None,
        "breadcrumbs": [(title, None)],
    }


@view_config(route_name="export_download", permission=AUTHENTICATED)
def export_download(context: BackgroundJob, request: Any) -> Response:
    """The file of a finished export job while its link works (410 once it expired)."""
    path = job_file(request.registry.settings, context)
    if path is None:
        if context.state == "done":
            raise HTTPGone()
        return HTTPSeeOther(request.route_path("export_job", id=context.id))
    file_format = path.suffix.lstrip(".")
    return file_download(request, path, context.result["filename"], MEDIA_TYPES[file_format])


def includeme(config: Any) -> None:
    """The export routes."""
    one = r"/exports/{id:\d+}"
    config.add_route("exports", "/exports")
    config.add_route("export_job", one, factory=export_job_factory)
    config.add_route("export_download", one + "/download", factory=export_job_factory)
    config.scan("core.tabular.export_views")
