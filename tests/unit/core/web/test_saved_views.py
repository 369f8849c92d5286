"""Saved list views: personal and shared views, who may change them, their order."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from core.security.models import Role, RoleGrant
from core.web.saved_view_models import SavedView
from core.web.saved_views import SavedList, visible_views

#: The permission opening the test list (administrators hold it).
LIST_PERMISSION = "core.audit.view"


def keep_query_and_sort(request, params):
    """The test list saves its search and sort only."""
    return {name: params.getall(name) for name in ("q", "sort") if params.getall(name)}


@pytest.fixture
def gadgets(app, monkeypatch):
    """A list page ``gadgets`` (shown at the home route) offering saved views."""
    lists = app.registry.setdefault("saved_lists", {})
    monkeypatch.setitem(
        lists, "gadgets", SavedList("gadgets", "home", LIST_PERMISSION, keep_query_and_sort)
    )
    return lists["gadgets"]


@pytest.fixture
def auditor(factory, dbsession):
    """A user who may open the list but not share views."""
    role = Role(key=None, name="Auditor", grants=[RoleGrant(permission=LIST_PERMISSION)])
    role.grants[0].scope = "all"
    dbsession.add(role)
    user = factory.user("auditor", role=None)
    user.roles = [role]
    dbsession.flush()
    return user


def save(web, name="Mine", shared=False, **params):
    """Post the "save as a new view" form; the response."""
    data = [("csrf_token", web.csrf_token()), ("view_name", name)]
    data += [(key, value) for key, value in params.items()]
    if shared:
        data.append(("view_shared", "1"))
    return web.app.post("/views/gadgets", data, status=303)


def views_of(dbsession, user):
    """The views ``user`` owns."""
    return list(dbsession.scalars(select(SavedView).where(SavedView.user_id == user.id)))


def seen_by(dbsession, user):
    """The names of the views ``user`` is offered, in order."""
    dbsession.expire_all()  # the requests changed them in their own sessions
    request = SimpleNamespace(identity=SimpleNamespace(user_id=user.id), dbsession=dbsession)
    return [view.name for view in visible_views(request, "gadgets")]


def test_saving_keeps_only_the_lists_parameters(gadgets, login_as, admin, dbsession):
    response = save(login_as(admin), q="上海", sort="-name", cursor="abc", junk="x")
    [view] = views_of(dbsession, admin)
    assert view.params == {"q": ["上海"], "sort": ["-name"]}
    assert not view.shared
    query = parse_qs(urlsplit(response.location).query)
    assert query == {"q": ["上海"], "sort": ["-name"], "view": [str(view.id)]}


def test_a_personal_view_is_invisible_and_untouchable_for_others(
    gadgets, login_as, factory, admin, dbsession
):
    save(login_as(admin), "Private", q="x")
    [view] = views_of(dbsession, admin)
    other = factory.user("other", role="admin")
    assert seen_by(dbsession, other) == []
    web = login_as(other)
    for action in ("update", "rename", "move", "delete"):
        web.post_form(f"/views/gadgets/{view.id}/{action}", {"view_name": "Mine now"}, status=404)
    assert view.name == "Private"


def test_a_shared_view_is_seen_by_all_but_changed_by_its_owner_only(
    gadgets, login_as, factory, admin, dbsession
):
    save(login_as(admin), "Team", shared=True, q="x")
    [view] = views_of(dbsession, admin)
    assert view.shared
    other = factory.user("other", role="admin")
    assert seen_by(dbsession, other) == ["Team"]
    web = login_as(other)
    web.post_form(f"/views/gadgets/{view.id}/rename", {"view_name": "Hijacked"}, status=403)
    web.post_form(f"/views/gadgets/{view.id}/delete", status=403)
    dbsession.refresh(view)
    assert view.name == "Team"
    owner = login_as(admin)
    owner.post_form(f"/views/gadgets/{view.id}/rename", {"view_name": "Team A"}, status=303)
    dbsession.refresh(view)
    assert (view.name, view.shared) == ("Team A", False)  # the box was left unticked


def test_sharing_needs_its_permission(gadgets, login_as, auditor, dbsession):
    save(login_as(auditor), "Mine", shared=True)
    [view] = views_of(dbsession, auditor)
    assert not view.shared


def test_update_replaces_the_parameters(gadgets, login_as, admin, dbsession):
    web = login_as(admin)
    save(web, q="old")
    [view] = views_of(dbsession, admin)
    web.post_form(f"/views/gadgets/{view.id}/update", {"q": "new"}, status=303)
    dbsession.refresh(view)
    assert view.params == {"q": ["new"]}


def test_views_are_reordered_and_deleted(gadgets, login_as, admin, dbsession):
    web = login_as(admin)
    for name in ("One", "Two", "Three"):
        save(web, name)
    assert seen_by(dbsession, admin) == ["One", "Two", "Three"]
    three = next(view for view in views_of(dbsession, admin) if view.name == "Three")
    web.post_form(f"/views/gadgets/{three.id}/move", {"direction": "earlier"}, status=303)
    assert seen_by(dbsession, admin) == ["One", "Three", "Two"]
    web.post_form(f"/views/gadgets/{three.id}/move", {"direction": "later"}, status=303)
    web.post_form(f"/views/gadgets/{three.id}/move", {"direction": "later"}, status=303)
    assert seen_by(dbsession, admin) == ["One", "Two", "Three"]  # stays last
    web.post_form(f"/views/gadgets/{three.id}/delete", status=303)
    assert seen_by(dbsession, admin) == ["One", "Two"]


def test_a_view_needs_a_name(gadgets, login_as, admin, dbsession):
    web = login_as(admin)
    save(web, "   ")
    assert views_of(dbsession, admin) == []
    assert "Give the view a name." in web.get("/").text


def test_unknown_lists_and_lists_the_user_cannot_open(gadgets, login_as, factory, dbsession):
    rep = login_as(factory.user("rep", role="sales_rep"))
    rep.post_form("/views/gadgets", {"view_name": "Mine"}, status=403)
    rep.post_form("/views/nolist", {"view_name": "Mine"}, status=404)
    assert dbsession.scalars(select(SavedView)).all() == []


def test_anonymous_users_are_sent_to_log_in(gadgets, client, dbsession):
    response = client.post_form("/views/gadgets", {"view_name": "Mine"}, status=303)
    assert "/login" in response.location
    assert dbsession.scalars(select(SavedView)).all() == []
