"""Settings → Teams: the tree, creating, renaming, moving and deleting teams."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from core.audit import AuditEvent
from core.security.models import Team
from core.security.policy import resolve_identity
from core.security.sessions import COOKIE_NAME


def reload(dbsession, team):
    dbsession.expire_all()
    return dbsession.get(Team, team.id)


def edit(web, team, status=303, **changes):
    params = {"name": team.name, "parent": str(team.parent_id or ""), "version": team.version}
    params.update(changes)
    return web.post_form(f"/settings/teams/{team.id}", params, status=status)


def test_every_route_needs_the_permission(login_as, factory, client, dbsession):
    team = factory.team("Sales")
    web = login_as(factory.user("rep", role="sales_manager"))
    for url in ("/settings/teams", "/settings/teams/new", f"/settings/teams/{team.id}"):
        web.get(url, status=403)
        assert "/login?next=" in client.get(url, status=303).location
    for url in (
        "/settings/teams/new",
        f"/settings/teams/{team.id}",
        f"/settings/teams/{team.id}/delete",
    ):
        web.post_form(url, {"name": "Hacked"}, status=403)
        client.post_form(url, {"name": "Hacked"}, status=303)
    assert reload(dbsession, team).name == "Sales"


def test_unknown_team_is_404(login_as, admin):
    web = login_as(admin)
    web.get("/settings/teams/999999", status=404)
    web.post_form("/settings/teams/999999", {"name": "x"}, status=404)
    web.post_form("/settings/teams/999999/delete", {}, status=404)


def test_tree_nests_sub_teams_and_counts_members(login_as, admin, factory):
    sales = factory.team("Sales")
    north = factory.team("North", parent=sales)
    factory.team("Service")
    factory.user("a", team=north)
    factory.user("b", team=north)
    page = login_as(admin).get("/settings/teams")
    top = page.html.select("ul.gx-team-tree > li")
    assert [li.attrs["data-team"] for li in top] == ["Sales", "Service"]
    nested = top[0].select("li[data-team]")
    assert [li.attrs["data-team"] for li in nested] == ["North"]
    assert "2 users" in nested[0].text


def test_empty_tree_says_what_to_do(login_as, admin):
    page = login_as(admin).get("/settings/teams")
    assert "No teams yet" in page.text


def test_create_under_a_parent(login_as, admin, factory, dbsession):
    sales = factory.team("Sales")
    web = login_as(admin)
    form = web.get("/settings/teams/new", params={"parent": sales.id})
    assert f'<option selected value="{sales.id}">' in form.text
    web.post_form("/settings/teams/new", {"name": " East ", "parent": str(sales.id)}, status=303)
    east = dbsession.scalars(select(Team).where(Team.name == "East")).one()
    assert east.parent_id == sales.id and east.path == f"{sales.path}{east.id}/"


def test_create_refuses_blank_and_duplicate_names(login_as, admin, factory, dbsession):
    sales = factory.team("Sales")
    web = login_as(admin)
    page = web.post_form("/settings/teams/new", {"name": "sales", "parent": ""}, status=200)
    assert "A team with this name already exists at this place." in page.text
    page = web.post_form("/settings/teams/new", {"name": "   ", "parent": ""}, status=200)
    assert "Enter a name." in page.text
    # The same name elsewhere in the tree is fine.
    web.post_form("/settings/teams/new", {"name": "Sales", "parent": str(sales.id)}, status=303)
    assert len(dbsession.scalars(select(Team).where(Team.name == "Sales")).all()) == 2


def test_rename_and_move_with_sub_teams(login_as, admin, factory, dbsession):
    sales = factory.team("Sales")
    service = factory.team("Service")
    north = factory.team("North", parent=sales)
    city = factory.team("City", parent=north)
    web = login_as(admin)
    edit(web, north, name="Northern", parent=str(service.id))
    north, city = reload(dbsession, north), reload(dbsession, city)
    assert north.name == "Northern" and north.parent_id == service.id
    assert city.path == f"{service.path}{north.id}/{city.id}/"
    event = dbsession.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == "teams", AuditEvent.record_id == str(north.id))
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["name"] == ["North", "Northern"]


def test_move_under_own_sub_team_is_refused(login_as, admin, factory, dbsession):
    sales = factory.team("Sales")
    north = factory.team("North", parent=sales)
    web = login_as(admin)
    form = web.get(f"/settings/teams/{sales.id}")
    assert f'<option disabled value="{north.id}">' in form.text
    page = edit(web, sales, status=200, parent=str(north.id))
    assert "A team cannot be placed under itself or one of its sub-teams." in page.text
    page = edit(web, sales, status=200, parent=str(sales.id))
    assert "A team cannot be placed under itself" in page.text
    assert reload(dbsession, sales).parent_id is None


def test_stale_rename_changes_nothing(login_as, admin, factory, dbsession):
    team = factory.team("Sales")
    old_version = team.version
    edit(login_as(admin), team, name="Sales East")
    page = edit(login_as(admin), team, status=200, name="Sales West", version=old_version)
    assert "review and save again" in page.text
    assert reload(dbsession, team).name == "Sales East"


def test_delete_only_empty_teams(login_as, admin, factory, dbsession):
    sales = factory.team("Sales")
    north = factory.team("North", parent=sales)
    member = factory.user("member", team=north)
    web = login_as(admin)

    page = web.get(f"/settings/teams/{north.id}")
    assert "A team can be deleted once it has no users and no sub-teams." in page.text
    web.post_form(f"/settings/teams/{north.id}/delete", {}, status=303)
    assert "Move the team&#39;s users to another team first." in web.get("/settings/teams").text
    web.post_form(f"/settings/teams/{sales.id}/delete", {}, status=303)
    assert reload(dbsession, sales) is not None and reload(dbsession, north) is not None

    member.team_id = None
    dbsession.flush()
    page = web.get(f"/settings/teams/{north.id}")
    assert "data-confirm=" in page.text
    north_id = north.id
    web.post_form(f"/settings/teams/{north_id}/delete", {}, status=303)
    dbsession.expire_all()
    assert dbsession.get(Team, north_id) is None
    assert dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "teams",
            AuditEvent.record_id == str(north_id),
            AuditEvent.action == "delete",
        )
    ).one()


def test_team_change_applies_on_the_users_next_request(login_as, admin, factory, dbsession, app):
    north = factory.team("North")
    south = factory.team("South")
    south_city = factory.team("South City", parent=south)
    rep = factory.user("rep", team=north)
    browser = login_as(rep)

    def identity_of_next_request():
        request = SimpleNamespace(
            dbsession=dbsession,
            cookies={COOKIE_NAME: browser.app.cookies[COOKIE_NAME].strip('"')},
            headers={},
            enabled_modules=frozenset(),
            registry=app.registry,
        )
        dbsession.expire_all()
        return resolve_identity(request)

    assert identity_of_next_request().team_ids == {north.id}
    login_as(admin).post_form(
        f"/settings/users/{rep.id}",
        {
            "username": rep.username,
            "display_name": rep.display_name,
            "timezone": "Asia/Shanghai",
            "team": str(south.id),
            "roles": [str(r.id) for r in rep.roles],
            "version": str(rep.version),
        },
        status=303,
    )
    assert identity_of_next_request().team_ids == {south.id, south_city.id}
