"""Settings → Roles: listing, custom roles, the grant matrix and its rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.security.catalog import (
    apply_default_grants,
    collect_default_grants,
    collect_permissions,
)
from core.security.models import Role, RoleGrant

ADMIN_ROLE = "core.roles.manage"


@pytest.fixture(scope="session")
def app(things_app):
    """The application with the test module "things" (scoped record type) enabled."""
    return things_app


def role(dbsession, key=None, name=None):
    query = select(Role).where(Role.key == key) if key else select(Role).where(Role.name == name)
    return dbsession.scalars(query).one()


def scope_of(dbsession, role_obj, permission):
    dbsession.expire_all()
    grant = dbsession.scalars(
        select(RoleGrant).where(
            RoleGrant.role_id == role_obj.id, RoleGrant.permission == permission
        )
    ).first()
    return None if grant is None else (grant.scope, grant.edited)


def save(web, role_obj, grants, status=303, name=None, version=None):
    """POST the role form with ``grants`` ({permission: scope or ""})."""
    params = {"name": name or role_obj.name, "description": role_obj.description}
    params["version"] = role_obj.version if version is None else version
    params.update({f"grant-{permission}": scope for permission, scope in grants.items()})
    return web.post_form(f"/settings/roles/{role_obj.id}", params, status=status)


@pytest.fixture
def deputy(factory, dbsession):
    """A user who manages roles but sees only their own things."""
    deputy_role = Role(
        name="Deputy",
        grants=[
            RoleGrant(permission=ADMIN_ROLE, scope="all"),
            RoleGrant(permission="things.thing.view", scope="own"),
        ],
    )
    dbsession.add(deputy_role)
    dbsession.flush()
    user = factory.user("deputy", role=None)
    user.roles = [deputy_role]
    dbsession.flush()
    return user


def test_every_route_is_refused_without_the_permission(login_as, factory, dbsession, client):
    rep = factory.user("rep", role="sales_rep")
    analyst = role(dbsession, "analyst")
    web = login_as(rep)
    for url in ("/settings/roles", "/settings/roles/new", f"/settings/roles/{analyst.id}"):
        web.get(url, status=403)
        client.get(url, status=303)
    web.get("/settings/explain-access", status=403)
    for url in (
        "/settings/roles/new",
        f"/settings/roles/{analyst.id}",
        f"/settings/roles/{analyst.id}/delete",
        f"/settings/roles/{analyst.id}/restore",
    ):
        web.post_form(url, {"name": "x", "version": analyst.version}, status=403)
    assert role(dbsession, "analyst").name == "Analyst"


def test_unknown_role_is_404(login_as, admin):
    web = login_as(admin)
    web.get("/settings/roles/999999", status=404)
    web.get("/settings/roles/abc", status=404)
    web.post_form("/settings/roles/999999/delete", status=404)


def test_list_shows_every_role_with_its_users(login_as, admin, factory):
    factory.user("rep1", role="sales_rep")
    factory.user("rep2", role="sales_rep")
    page = login_as(admin).get("/settings/roles")
    row = page.html.find("a", string="Sales representative").find_parent("tr")
    assert row.find("td", attrs={"data-label": "Users"}).text.strip() == "2"
    assert page.html.find("a", string="Administrator") is not None
    assert "Roles" in login_as(admin).get("/").text


def test_matrix_lists_enabled_modules_grouped_with_scopes(login_as, admin, dbsession):
    page = login_as(admin).get(f"/settings/roles/{role(dbsession, 'sales_rep').id}")
    view = page.html.find("select", attrs={"name": "grant-things.thing.view"})
    assert [option["value"] for option in view.find_all("option")] == [
        "",
        "own",
        "team",
        "region",
        "all",
    ]
    assert view.find("option", selected=True)["value"] == "own"
    unscoped = page.html.find("select", attrs={"name": "grant-things.settings.manage"})
    assert [option.text for option in unscoped.find_all("option")] == ["No access", "Granted"]
    headings = [h.text for h in page.html.find_all("h3")]
    assert headings == ["Core", "Things"]
    groups = [th.text for th in page.html.find_all("th", scope="rowgroup")]
    assert groups == ["Administration", "Things", "Settings"]


def test_create_rename_and_delete_a_custom_role(login_as, admin, dbsession):
    web = login_as(admin)
    created = web.post_form(
        "/settings/roles/new", {"name": "Auditor", "description": "Reads the trail"}, status=303
    )
    auditor = role(dbsession, name="Auditor")
    assert created.location.endswith(f"/settings/roles/{auditor.id}")
    duplicate = web.post_form("/settings/roles/new", {"name": "auditor"}, status=200)
    assert "Another role already has this name." in duplicate.text
    save(web, auditor, {"core.audit.view": "all"}, name="Trail reader")
    dbsession.expire_all()
    assert auditor.name == "Trail reader"
    assert scope_of(dbsession, auditor, "core.audit.view") == ("all", True)
    web.post_form(f"/settings/roles/{auditor.id}/delete", status=303)
    assert dbsession.scalars(select(Role).where(Role.id == auditor.id)).first() is None


def test_role_in_use_and_default_roles_cannot_be_deleted(login_as, admin, factory, dbsession):
    custom = Role(name="Temp")
    dbsession.add(custom)
    dbsession.flush()
    user = factory.user("temp", role=None)
    user.roles = [custom]
    dbsession.flush()
    web = login_as(admin)
    web.post_form(f"/settings/roles/{custom.id}/delete", status=303)
    assert "Temp cannot be deleted: 1 users still have it." in web.get("/settings/roles").text
    analyst = role(dbsession, "analyst")
    web.post_form(f"/settings/roles/{analyst.id}/delete", status=303)
    assert "Default roles cannot be deleted." in web.get("/settings/roles").text
    dbsession.expire_all()
    assert dbsession.get(Role, custom.id) is not None
    assert dbsession.get(Role, analyst.id) is not None
    assert "Delete role" not in web.get(f"/settings/roles/{analyst.id}").text


def test_saving_marks_changed_grants_edited_bumps_version_and_audits(login_as, admin, dbsession):
    rep = role(dbsession, "sales_rep")
    version = rep.version
    save(
        login_as(admin),
        rep,
        {"things.thing.view": "own", "things.thing.edit": "", "things.thing.delete": "team"},
    )
    assert scope_of(dbsession, rep, "things.thing.view") == ("own", False)
    assert scope_of(dbsession, rep, "things.thing.edit") == (None, True)
    assert scope_of(dbsession, rep, "things.thing.delete") == ("team", True)
    assert rep.version == version + 1
    event = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "role_changed")).one()
    assert event.record_type == "roles"
    assert event.record_id == str(rep.id)
    assert event.actor_user_id == admin.id
    assert event.changes == {
        "things.thing.edit": ["own", None],
        "things.thing.delete": [None, "team"],
    }


def test_edited_grant_survives_module_defaults(login_as, admin, dbsession, app):
    rep = role(dbsession, "sales_rep")
    save(login_as(admin), rep, {"things.thing.edit": "", "things.thing.view": "team"})
    hooks = app.registry["modules"].hooks(frozenset({"things"}))
    apply_default_grants(dbsession, collect_default_grants(hooks, collect_permissions(hooks)))
    assert scope_of(dbsession, rep, "things.thing.edit") == (None, True)
    assert scope_of(dbsession, rep, "things.thing.view") == ("team", True)


def test_nobody_grants_a_wider_scope_than_their_own(login_as, deputy, dbsession):
    manager = role(dbsession, "sales_manager")
    web = login_as(deputy)
    page = save(web, manager, {"things.thing.view": "all", "things.thing.edit": ""}, status=200)
    assert "you cannot give a permission or scope wider than your own" in page.text
    assert "things.thing.view" in page.html.find(class_="alert-danger").text
    assert scope_of(dbsession, manager, "things.thing.view") == ("team", False)
    assert scope_of(dbsession, manager, "things.thing.edit") == ("team", False)
    refused = page.html.find("tr", attrs={"data-permission": "things.thing.view"})
    assert "table-danger" in refused["class"]
    save(web, manager, {"things.thing.view": "region"}, status=200)
    assert scope_of(dbsession, manager, "things.thing.view") == ("team", False)
    save(web, manager, {"things.thing.view": "own"})
    assert scope_of(dbsession, manager, "things.thing.view") == ("own", True)


def test_nobody_grants_a_permission_they_lack(login_as, deputy, dbsession):
    analyst = role(dbsession, "analyst")
    page = login_as(deputy).get(f"/settings/roles/{analyst.id}")
    option = page.html.find("select", attrs={"name": "grant-core.audit.view"}).find(
        "option", value="all"
    )
    assert option.has_attr("disabled")
    page = save(login_as(deputy), analyst, {"core.audit.view": "all"}, status=200)
    assert "core.audit.view" in page.html.find(class_="alert-danger").text
    assert scope_of(dbsession, analyst, "core.audit.view") is None


def test_nobody_edits_a_role_they_have(login_as, admin, dbsession):
    admin_role = role(dbsession, "admin")
    web = login_as(admin)
    page = web.get(f"/settings/roles/{admin_role.id}")
    assert "You have this role yourself" in page.text
    assert page.html.find("fieldset").has_attr("disabled")
    page = save(web, admin_role, {"core.audit.view": ""}, status=200, name="Boss")
    assert "you cannot change it" in page.text
    web.post_form(
        f"/settings/roles/{admin_role.id}/restore", {"version": admin_role.version}, status=303
    )
    assert scope_of(dbsession, admin_role, "core.audit.view") == ("all", False)
    assert admin_role.name == "Administrator"


def test_stale_save_is_refused(login_as, admin, dbsession):
    analyst = role(dbsession, "analyst")
    old_version = analyst.version
    analyst.description = "Changed meanwhile"
    dbsession.flush()
    page = save(
        login_as(admin), analyst, {"core.audit.view": "all"}, status=200, version=old_version
    )
    assert "review and save again" in page.text
    assert scope_of(dbsession, analyst, "core.audit.view") is None


def test_invalid_scope_changes_nothing(login_as, admin, dbsession):
    analyst = role(dbsession, "analyst")
    page = save(
        login_as(admin),
        analyst,
        {"core.audit.view": "own", "things.thing.view": "all"},
        status=200,
    )
    assert "Choose one of the offered scopes" in page.text
    assert scope_of(dbsession, analyst, "things.thing.view") is None


def test_restore_module_defaults(login_as, admin, deputy, dbsession):
    rep = role(dbsession, "sales_rep")
    web = login_as(admin)
    save(web, rep, {"things.thing.edit": "", "core.audit.view": "all"})
    dbsession.expire_all()
    web.post_form(f"/settings/roles/{rep.id}/restore", {"version": rep.version}, status=303)
    assert scope_of(dbsession, rep, "things.thing.edit") == ("own", False)
    assert scope_of(dbsession, rep, "core.audit.view") is None
    events = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "role_changed").order_by(AuditEvent.id)
    ).all()
    assert events[-1].changes == {
        "core.audit.view": ["all", None],
        "things.thing.edit": [None, "own"],
    }


def test_restore_refused_when_defaults_are_wider_than_the_editor(login_as, deputy, dbsession):
    manager = role(dbsession, "sales_manager")
    manager_view = next(g for g in manager.grants if g.permission == "things.thing.view")
    manager_view.scope, manager_view.edited = "own", True
    dbsession.flush()
    web = login_as(deputy)
    web.post_form(f"/settings/roles/{manager.id}/restore", {"version": manager.version}, status=303)
    assert "things.thing.view" in web.get(f"/settings/roles/{manager.id}").text
    assert scope_of(dbsession, manager, "things.thing.view") == ("own", True)


def test_renamed_default_role_shows_its_new_name(login_as, admin, dbsession):
    analyst = role(dbsession, "analyst")
    web = login_as(admin)
    save(web, analyst, {}, name="Data analyst")
    assert web.get("/settings/roles").html.find("a", string="Data analyst") is not None
