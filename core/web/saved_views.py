"""Saved list views: named sets of a list page's filters, sort and columns, shown as tabs.

Any list page can offer them.  It registers itself once::

    register_list(config, SavedList("customers", "customers", "customers.customer.view", clean))

where ``clean(request, params)`` returns the parameters worth saving (already
checked: unknown names and values dropped) as ``{name: [values]}``.  The page
passes :func:`tabs` to the ``saved_view_tabs`` macro of
``core:templates/macros/saved_views.jinja2``; the small endpoints below save,
update, rename, reorder and delete views and answer with a redirect to the
list (plain forms, boosted by htmx).

A personal view is seen by its owner only.  Sharing needs ``core.views.share``:
views are a core feature every list uses, so the right to publish one to
everybody is granted once, not per module.  A shared view holds parameters
only, so each viewer still sees just the records their own scope reaches.
Only a view's owner changes it; another user's personal view answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, or_, select
from webob.multidict import MultiDict

from core.i18n import _
from core.security.models import User
from core.validation import parse_id
from core.web.saved_view_models import SavedView

SHARE = "core.views.share"
#: The query parameter naming the active view of a list.
VIEW_PARAM = "view"
NAME_MAX = 80
#: The view's own form fields, named so that they never clash with a list's parameters.
NAME_FIELD, SHARED_FIELD = "view_name", "view_shared"
#: Most views one user keeps per list.
MAX_VIEWS = 30

Clean = Callable[[Any, MultiDict], dict[str, list[str]]]


@dataclass(frozen=True)
class SavedList:
    """A list page offering saved views."""

    key: str
    #: The list page's route name.
    route: str
    #: The permission that opens the list (and lets the user save views of it).
    permission: str
    clean: Clean


def register_list(config: Any, saved_list: SavedList) -> None:
    """Offer saved views on ``saved_list``'s page."""
    config.registry.setdefault("saved_lists", {})[saved_list.key] = saved_list


def saved_list_for(request: Any, key: str) -> SavedList:
    """The registered list ``key`` the user may open; 404 if unknown, 403 if not allowed."""
    saved_list = request.registry.get("saved_lists", {}).get(key)
    if saved_list is None:
        raise HTTPNotFound()
    if not request.identity.can(saved_list.permission):
        raise HTTPForbidden()
    return saved_list


# -- queries ----------------------------------------------------------------------


def visible_views(request: Any, list_key: str) -> list[SavedView]:
    """The user's own views (in their order), then the views others share (by name)."""
    user_id = request.identity.user_id
    query = select(SavedView).where(
        SavedView.list_key == list_key,
        or_(SavedView.user_id == user_id, SavedView.shared),
    )
    views = list(request.dbsession.scalars(query))
    own = sorted((v for v in views if v.user_id == user_id), key=lambda v: (v.position, v.id))
    shared = sorted((v for v in views if v.user_id != user_id), key=lambda v: (v.name, v.id))
    return own + shared


def find_visible(request: Any, list_key: str, raw_id: Any) -> SavedView | None:
    """The view ``raw_id`` of ``list_key`` if the user may see it."""
    view_id = parse_id(raw_id)
    if view_id is None:
        return None
    view = request.dbsession.get(SavedView, view_id)
    if view is None or view.list_key != list_key:
        return None
    if view.user_id != request.identity.user_id and not view.shared:
        return None
    return view


def owned_view(request: Any, saved_list: SavedList) -> SavedView:
    """The route's view, if the user owns it: 404 when invisible, 403 when someone else's."""
    view = find_visible(request, saved_list.key, request.matchdict["id"])
    if view is None:
        raise HTTPNotFound()
    if view.user_id != request.identity.user_id:
        raise HTTPForbidden()
    return view


def view_url(request: Any, saved_list: SavedList, view: SavedView | None) -> str:
    """The list's address showing ``view`` (the plain list for ``None``)."""
    if view is None:
        return request.route_path(saved_list.route)
    query = {**view.params, VIEW_PARAM: str(view.id)}
    return request.route_path(saved_list.route, _query=query)


def same_params(first: dict[str, list[str]], second: dict[str, list[str]]) -> bool:
    """Whether two parameter sets select the same thing (order of names ignored)."""
    return {k: list(v) for k, v in first.items()} == {k: list(v) for k, v in second.items()}


def tabs(request: Any, list_key: str, current: dict[str, list[str]]) -> dict[str, Any]:
    """What the ``saved_view_tabs`` macro shows for a list whose parameters are ``current``."""
    saved_list = request.registry["saved_lists"][list_key]
    views = visible_views(request, list_key)
    active = find_visible(request, list_key, request.GET.get(VIEW_PARAM))
    user_id = request.identity.user_id
    sharers = {view.user_id for view in views if view.user_id != user_id}
    owners = (
        {
            user.id: user.name
            for user in request.dbsession.scalars(select(User).where(User.id.in_(sharers)))
        }
        if sharers
        else {}
    )
    own = [view for view in views if view.user_id == user_id]
    return {
        "key": list_key,
        "views": [
            {
                "view": view,
                "url": view_url(request, saved_list, view),
                "mine": view.user_id == user_id,
                "owner": owners.get(view.user_id, ""),
            }
            for view in views
        ],
        "active": active,
        "mine": active is not None and active.user_id == user_id,
        "first": own[0] if own else None,
        "last": own[-1] if own else None,
        "modified": active is not None and not same_params(active.params, current),
        "current": current,
        "all_url": view_url(request, saved_list, None),
        "can_share": request.identity.can(SHARE),
    }


# -- changes ----------------------------------------------------------------------


def _name(request: Any) -> str | None:
    name = " ".join(request.POST.get(NAME_FIELD, "").split())[:NAME_MAX]
    if not name:
        request.flash(_("Give the view a name."), "danger")
        return None
    return name


def _back(request: Any, saved_list: SavedList, view: SavedView | None) -> HTTPSeeOther:
    return HTTPSeeOther(view_url(request, saved_list, view))


def _shared(request: Any) -> bool:
    return request.POST.get(SHARED_FIELD) == "1" and request.identity.can(SHARE)


@view_config(route_name="saved_view_create", request_method="POST", permission="authenticated")
def create_view(request: Any) -> HTTPSeeOther:
    """Save the posted list parameters as a new view of the user's."""
    saved_list = saved_list_for(request, request.matchdict["list"])
    name = _name(request)
    if name is None:
        return _back(request, saved_list, None)
    session = request.dbsession
    user_id = request.identity.user_id
    count, last = session.execute(
        select(func.count(), func.max(SavedView.position)).where(
            SavedView.list_key == saved_list.key, SavedView.user_id == user_id
        )
    ).one()
    if count >= MAX_VIEWS:
        request.flash(
            _("You have ${count} views of this list; delete one first."), "danger", count=count
        )
        return _back(request, saved_list, None)
    view = SavedView(
        list_key=saved_list.key,
        user_id=user_id,
        name=name,
        shared=_shared(request),
        position=(last or 0) + 1,
        params=saved_list.clean(request, request.POST),
    )
    session.add(view)
    session.flush()
    request.flash(_("View ${name} is saved."), name=name)
    return _back(request, saved_list, view)


@view_config(route_name="saved_view_update", request_method="POST", permission="authenticated")
def update_view(request: Any) -> HTTPSeeOther:
    """Replace a view's parameters with the posted ones."""
    saved_list = saved_list_for(request, request.matchdict["list"])
    view = owned_view(request, saved_list)
    view.params = saved_list.clean(request, request.POST)
    request.flash(_("View ${name} is saved."), name=view.name)
    return _back(request, saved_list, view)


@view_config(route_name="saved_view_rename", request_method="POST", permission="authenticated")
def rename_view(request: Any) -> HTTPSeeOther:
    """Rename a view and choose whether it is shared."""
    saved_list = saved_list_for(request, request.matchdict["list"])
    view = owned_view(request, saved_list)
    name = _name(request)
    if name is not None:
        view.name = name
        view.shared = _shared(request)
        request.flash(_("View ${name} is saved."), name=name)
    return _back(request, saved_list, view)


@view_config(route_name="saved_view_move", request_method="POST", permission="authenticated")
def move_view(request: Any) -> HTTPSeeOther:
    """Move one of the user's views a place earlier or later among their views."""
    saved_list = saved_list_for(request, request.matchdict["list"])
    view = owned_view(request, saved_list)
    own = [v for v in visible_views(request, saved_list.key) if v.user_id == view.user_id]
    index = own.index(view)
    other = index + (1 if request.POST.get("direction") == "later" else -1)
    if 0 <= other < len(own):
        own[index], own[other] = own[other], own[index]
        for position, item in enumerate(own, start=1):
            item.position = position
    return _back(request, saved_list, view)


@view_config(route_name="saved_view_delete", request_method="POST", permission="authenticated")
def delete_view(request: Any) -> HTTPSeeOther:
    """Delete a view; the list stays as it was, without the view's tab."""
    saved_list = saved_list_for(request, request.matchdict["list"])
    view = owned_view(request, saved_list)
    request.dbsession.delete(view)
    request.flash(_("View ${name} is deleted."), "warning", name=view.name)
    return HTTPSeeOther(request.route_path(saved_list.route, _query=view.params))


def includeme(config: Any) -> None:
    """The saved view endpoints."""
    base = "/views/{list:[a-z_]+}"
    config.add_route("saved_view_create", base)
    for action in ("update", "rename", "move", "delete"):
        config.add_route(f"saved_view_{action}", base + r"/{id:\d+}/" + action)
    config.scan("core.web.saved_views")
