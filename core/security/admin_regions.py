"""Settings → Regions: browse the official divisions, manage custom regions.

Official divisions (province → city → district) are read-only.  Custom regions
get a code starting with ``X`` and an optional parent; their level follows the
parent's.  ``GET /regions/children?parent=CODE`` feeds cascading pickers.
"""

from __future__ import annotations

import re
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from core.audit import record_event
from core.forms import Form
from core.i18n import _
from core.security.models import Region, user_regions
from core.security.regions import region_label
from core.security.service_errors import Refused
from core.web.form_feedback import flash_refusal, save_form

PERMISSION = "core.users.manage"
CUSTOM_PREFIX = "X"
CODE_PATTERN = re.compile(r"[A-Za-z0-9]{1,19}")
NAME_MAX = 100


# -- queries ----------------------------------------------------------------------


def children_of(session: Session, code: str | None) -> list[Region]:
    """The regions directly under ``code`` (provinces and top-level custom ones for None)."""
    parent = Region.parent_code.is_(None) if code is None else Region.parent_code == code
    return list(session.scalars(select(Region).where(parent).order_by(Region.code)))


def child_counts(session: Session, codes: list[str]) -> dict[str, int]:
    """How many regions are directly under each of ``codes``."""
    if not codes:
        return {}
    rows = session.execute(
        select(Region.parent_code, func.count())
        .where(Region.parent_code.in_(codes))
        .group_by(Region.parent_code)
    )
    return dict(rows.all())


def ancestors(session: Session, region: Region | None) -> list[Region]:
    """``region`` and its parents, top level first."""
    chain: list[Region] = []
    while region is not None:
        chain.insert(0, region)
        region = session.get(Region, region.parent_code) if region.parent_code else None
    return chain


# -- custom regions ------------------------------------------------------------------


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Refused({"name": [_("Enter a name.")]})
    if len(name) > NAME_MAX:
        raise Refused({"name": [_("Use at most 100 characters.")]})
    return name


def _parent(session: Session, code: str | None, region: Region | None = None) -> Region | None:
    code = (code or "").strip()
    if not code:
        return None
    parent = session.get(Region, code)
    if parent is None:
        raise Refused({"parent": [_("No region has the code ${code}.", mapping={"code": code})]})
    if region is not None and any(node.code == region.code for node in ancestors(session, parent)):
        raise Refused({"parent": [_("A region cannot be placed under itself or its sub-regions.")]})
    return parent


def _set_level(session: Session, region: Region, level: int) -> None:
    """Give ``region`` the ``level`` and its sub-regions the levels below it."""
    region.level = level
    for child in children_of(session, region.code):
        _set_level(session, child, level + 1)


def add_custom_region(session: Session, code: str, name: str, parent_code: str | None) -> Region:
    """A custom region ``X<code>`` under ``parent_code`` (or at the top level)."""
    code = code.strip().upper().removeprefix(CUSTOM_PREFIX)
    if not CODE_PATTERN.fullmatch(code):
        raise Refused({"code": [_("Use 1 to 19 letters or digits.")]})
    code = CUSTOM_PREFIX + code
    if session.get(Region, code) is not None:
        raise Refused({"code": [_("The code ${code} is taken.", mapping={"code": code})]})
    name = _name(name)
    parent = _parent(session, parent_code)
    region = Region(
        code=code,
        name=name,
        parent_code=parent.code if parent else None,
        level=parent.level + 1 if parent else 1,
        custom=True,
    )
    session.add(region)
    session.flush()
    record_event(
        session,
        "create",
        record_type="regions",
        record_id=code,
        summary=name,
        changes={"name": [None, name], "parent_code": [None, region.parent_code]},
    )
    return region


def change_custom_region(
    session: Session, region: Region, name: str, parent_code: str | None
) -> None:
    """Rename a custom region and/or give it another parent."""
    name = _name(name)
    parent = _parent(session, parent_code, region)
    new_parent = parent.code if parent else None
    changes = {
        key: [old, new]
        for key, old, new in (
            ("name", region.name, name),
            ("parent_code", region.parent_code, new_parent),
        )
        if old != new
    }
    region.name = name
    region.parent_code = new_parent
    _set_level(session, region, parent.level + 1 if parent else 1)
    session.flush()
    if changes:
        record_event(
            session,
            "update",
            record_type="regions",
            record_id=region.code,
            summary=name,
            changes=changes,
        )


def delete_custom_region(session: Session, region: Region) -> None:
    """Delete a custom region that has no sub-regions and is assigned to nobody."""
    if child_counts(session, [region.code]):
        raise Refused({"": [_("Delete or move its sub-regions first.")]})
    assigned = session.scalar(
        select(func.count())
        .select_from(user_regions)
        .where(user_regions.c.region_code == region.code)
    )
    if assigned:
        raise Refused({"": [_("Users still have this region; remove it from them first.")]})
    try:
        with session.begin_nested():
            session.delete(region)
            session.flush()
    except IntegrityError as exc:
        raise Refused({"": [_("Other records still use this region.")]}) from exc
    record_event(
        session,
        "delete",
        record_type="regions",
        record_id=region.code,
        summary=region.name,
        changes={"name": [region.name, None], "parent_code": [region.parent_code, None]},
    )


# -- pages -----------------------------------------------------------------------------


class RegionForm(Form):
    """A custom region's name and parent."""

    name = StringField(_("Name"), [InputRequired(), Length(max=NAME_MAX)])
    parent = StringField(
        _("Parent region code"),
        [Optional(), Length(max=20)],
        description=_("Leave empty for a top-level region, e.g. 44 for Guangdong."),
    )


class NewRegionForm(RegionForm):
    """A new custom region: also its code."""

    code = StringField(
        _("Code"),
        [InputRequired(), Length(max=20)],
        description=_("Letters and digits; the prefix X is added for you."),
    )


def _crumbs(request: Any, trail: list[Region], label: str | None = None) -> list:
    crumbs = [
        (request.translate(_("Settings")), None),
        (request.translate(_("Regions")), request.route_path("regions")),
    ]
    parent = None
    for node in trail:
        url = request.route_path("regions", _query={"parent": node.code})
        crumbs.append((region_label(node, parent), url))
        parent = node
    if label is not None:
        crumbs.append((label, None))
    else:
        crumbs[-1] = (crumbs[-1][0], None)
    return crumbs


def _region(request: Any, code: str | None) -> Region | None:
    """The region named by ``code`` (None for no code); unknown codes are a 404."""
    if not code:
        return None
    region = request.dbsession.get(Region, code)
    if region is None:
        raise HTTPNotFound()
    return region


def _custom_region(request: Any) -> Region:
    region = _region(request, request.matchdict["code"])
    if region is None or not region.custom:
        raise HTTPNotFound()
    return region


@view_config(
    route_name="regions", renderer="core:templates/admin/regions_list.jinja2", permission=PERMISSION
)
def regions_list(request: Any) -> dict[str, Any]:
    """The regions under ``?parent=CODE`` (the provinces without it)."""
    session = request.dbsession
    parent = _region(request, request.GET.get("parent"))
    regions = children_of(session, parent.code if parent else None)
    return {
        "parent": parent,
        "regions": regions,
        "labels": {region.code: region_label(region, parent) for region in regions},
        "counts": child_counts(session, [region.code for region in regions]),
        "breadcrumbs": _crumbs(request, ancestors(session, parent)),
    }


@view_config(
    route_name="region_new",
    renderer="core:templates/admin/regions_form.jinja2",
    permission=PERMISSION,
)
def region_new(request: Any) -> Any:
    """Add a custom region (``?parent=CODE`` preselects its parent)."""
    posted = request.POST if request.method == "POST" else None
    form = NewRegionForm(request, posted, parent=request.GET.get("parent", ""))
    region = save_form(
        request,
        form,
        lambda: add_custom_region(
            request.dbsession, form.code.data, form.name.data, form.parent.data
        ),
    )
    if region is not None:
        request.flash(_("Region ${name} is added."), name=region.name)
        return HTTPSeeOther(location=_list_url(request, region.parent_code))
    return {
        "form": form,
        "region": None,
        "breadcrumbs": _crumbs(request, [], request.translate(_("New custom region"))),
    }


@view_config(
    route_name="region_edit",
    renderer="core:templates/admin/regions_form.jinja2",
    permission=PERMISSION,
)
def region_edit(request: Any) -> Any:
    """Rename or move a custom region (official ones are a 404)."""
    region = _custom_region(request)
    posted = request.POST if request.method == "POST" else None
    form = RegionForm(request, posted, name=region.name, parent=region.parent_code or "")
    saved = save_form(
        request,
        form,
        lambda: change_custom_region(request.dbsession, region, form.name.data, form.parent.data),
        region,
    )
    if saved is not None:
        request.flash(_("Region ${name} is saved."), name=region.name)
        return HTTPSeeOther(location=_list_url(request, region.parent_code))
    trail = ancestors(request.dbsession, region)
    return {
        "form": form,
        "region": region,
        "breadcrumbs": _crumbs(request, trail[:-1], region.name),
    }


@view_config(route_name="region_delete", request_method="POST", permission=PERMISSION)
def region_delete(request: Any) -> Any:
    """Delete a custom region nobody uses."""
    region = _custom_region(request)
    try:
        delete_custom_region(request.dbsession, region)
    except Refused as refused:
        flash_refusal(request, refused)
        return HTTPSeeOther(location=request.route_path("region_edit", code=region.code))
    request.flash(_("Region ${name} is deleted."), name=region.name)
    return HTTPSeeOther(location=_list_url(request, region.parent_code))


def _list_url(request: Any, parent_code: str | None) -> str:
    query = {"parent": parent_code} if parent_code else {}
    return request.route_path("regions", _query=query)


@view_config(route_name="regions_children", renderer="json", permission="authenticated")
def regions_children(request: Any) -> dict[str, Any]:
    """JSON for cascading pickers: the regions under ``?parent=CODE`` (provinces without it).

    ``{"parent": {"code", "name"} | null, "children": [{"code", "name", "label",
    "level", "custom", "has_children"}]}``; ``label`` shows a municipality's
    市辖区 as the municipality.  An unknown parent is a 404.
    """
    session = request.dbsession
    parent = _region(request, request.GET.get("parent"))
    regions = children_of(session, parent.code if parent else None)
    counts = child_counts(session, [region.code for region in regions])
    return {
        "parent": {"code": parent.code, "name": parent.name} if parent else None,
        "children": [
            {
                "code": region.code,
                "name": region.name,
                "label": region_label(region, parent),
                "level": region.level,
                "custom": region.custom,
                "has_children": region.code in counts,
            }
            for region in regions
        ],
    }


def includeme(config: Any) -> None:
    """Routes of the regions pages and the children endpoint."""
    config.add_route("regions", "/settings/regions")
    config.add_route("region_new", "/settings/regions/new")
    config.add_route("region_edit", "/settings/regions/{code}/edit")
    config.add_route("region_delete", "/settings/regions/{code}/delete")
    config.add_route("regions_children", "/regions/children")
    config.scan("core.security.admin_regions")
