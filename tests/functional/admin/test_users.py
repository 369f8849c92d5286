"""Settings → Users: listing, creating, editing, deactivating, and the no-escalation rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.security.models import AuthSession, Role, RoleGrant, User
from core.security.tokens import create_token
from core.testing import TEST_PASSWORD

NEW_PASSWORD = "violet tangerine orbit 42"


def role(dbsession, key):
    return dbsession.scalars(select(Role).where(Role.key == key)).one()


def reload(dbsession, user):
    dbsession.expire_all()
    return dbsession.get(User, user.id)


def new_params(username, **changes):
    """The new-user form for ``username`` with a good password."""
    params = {
        "username": username,
        "display_name": username.title(),
        "timezone": "Asia/Shanghai",
        "password": NEW_PASSWORD,
    }
    params.update(changes)
    return params


def form_params(user, **changes):
    """The edit form as the browser would send it for ``user``."""
    params = {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email or "",
        "mobile": user.mobile or "",
        "language": user.language or "",
        "timezone": user.timezone or "Asia/Shanghai",
        "team": str(user.team_id or ""),
        "roles": [str(r.id) for r in user.roles],
        "provinces": [r.code for r in user.regions if r.level == 1],
        "cities": [r.code for r in user.regions if r.level == 2],
        "version": str(user.version),
    }
    params.update(changes)
    return params


@pytest.fixture
def helpdesk(factory, dbsession):
    """A sales manager who was also given core.users.manage (but is no administrator)."""
    user_admin = Role(
        name="User desk", grants=[RoleGrant(permission="core.users.manage", scope="all")]
    )
    dbsession.add(user_admin)
    user = factory.user("helpdesk", role="sales_manager")
    user.roles.append(user_admin)
    dbsession.flush()
    return user


def test_every_route_needs_the_permission(login_as, factory, client):
    target = factory.user("target")
    web = login_as(factory.user("rep", role="sales_manager"))
    for url in ("/settings/users", "/settings/users/new", f"/settings/users/{target.id}"):
        web.get(url, status=403)
        assert "/login?next=" in client.get(url, status=303).location
    for url in (
        "/settings/users/new",
        f"/settings/users/{target.id}",
        f"/settings/users/{target.id}/active",
    ):
        web.post_form(url, {"username": "x", "active": "0"}, status=403)
        client.post_form(url, {"username": "x", "active": "0"}, status=303)


def test_unknown_user_is_404(login_as, admin):
    web = login_as(admin)
    web.get("/settings/users/999999", status=404)
    web.post_form("/settings/users/999999/active", {"active": "0"}, status=404)


def test_settings_menu_links_users_teams_and_regions(login_as, admin, factory):
    page = login_as(admin).get("/")
    for key in ("settings.users", "settings.teams", "settings.regions"):
        assert f'data-menu="{key}"' in page.text
    rep_page = login_as(factory.user("rep")).get("/")
    assert 'data-menu="settings.users"' not in rep_page.text


def test_list_searches_filters_and_sorts(login_as, admin, factory, dbsession):
    north = factory.team("North")
    north_east = factory.team("North-East", parent=north)
    factory.user("zhang", display_name="张伟", email="Zhang.Wei@example.com", team=north)
    factory.user("li", display_name="李娜", mobile="13800138000", team=north_east)
    gone = factory.user("wang", role="analyst", display_name="王芳")
    gone.is_active = False
    dbsession.flush()
    web = login_as(admin)

    def listed(**query):
        page = web.get("/settings/users", params=query)
        return [row.attrs["data-user"] for row in page.html.select("tr[data-user]")]

    assert listed(q="ZHANG.WEI") == ["zhang"]
    assert listed(q="张") == ["zhang"]
    assert listed(q="138001") == ["li"]
    assert listed(q="%") == []
    assert listed(team=north.id) == ["li", "zhang"]
    assert listed(team=north_east.id) == ["li"]
    assert listed(role=role(dbsession, "analyst").id) == ["wang"]
    assert listed(active="no") == ["wang"]
    assert listed(sort="-username") == ["zhang", "wang", "root", "li"]
    assert listed(sort="nonsense", page="x") == ["li", "root", "wang", "zhang"]
    empty = web.get("/settings/users", params={"q": "nobody-like-this"})
    assert "No users match these filters" in empty.text


def test_create_user_who_can_then_log_in(login_as, admin, factory, dbsession, client):
    team = factory.team("South")
    web = login_as(admin)
    form = web.get("/settings/users/new")
    assert "北京市" in form.text and "广州市" in form.text
    params = new_params(
        "Xiao.Ming",
        display_name="小明",
        email="xm@example.com",
        team=str(team.id),
        roles=[str(role(dbsession, "sales_rep").id)],
        provinces=["44"],
        cities=["1101", "3301"],
    )
    web.post_form("/settings/users/new", params, status=303)
    user = dbsession.scalars(select(User).where(User.username == "Xiao.Ming")).one()
    assert (user.display_name, user.email, user.team_id) == ("小明", "xm@example.com", team.id)
    assert [r.key for r in user.roles] == ["sales_rep"]
    assert [r.code for r in user.regions] == ["1101", "3301", "44"]
    assert client.login("xiao.ming", NEW_PASSWORD, status=303).location.endswith("/")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "ROOT"}, "Another user already has this username."),
        ({"email": "Taken@Example.com"}, "Another user already has this e-mail."),
        ({"password": "password123"}, "This password is too common"),
        ({"password": "short"}, "Use at least 10 characters."),
        ({"password": ""}, "Enter an initial password."),
        ({"username": "has space"}, "no spaces"),
        ({"email": "not-an-address"}, "Enter a valid e-mail address."),
        ({"provinces": ["999"]}, "not a valid choice"),
    ],
)
def test_create_refuses_bad_input(login_as, admin, factory, dbsession, changes, message):
    factory.user("other", email="taken@example.com")
    count = len(dbsession.scalars(select(User)).all())
    params = {**new_params("newbie"), **changes}
    page = login_as(admin).post_form("/settings/users/new", params, status=200)
    assert message in page.text
    assert len(dbsession.scalars(select(User)).all()) == count


def test_edit_saves_and_audits_role_changes(login_as, admin, factory, dbsession):
    user = factory.user("meimei", role="sales_rep")
    web = login_as(admin)
    page = web.get(f"/settings/users/{user.id}")
    assert f'name="version" type="hidden" value="{user.version}"' in page.text
    manager_role = role(dbsession, "sales_manager")
    web.post_form(
        f"/settings/users/{user.id}",
        form_params(user, display_name="韩梅梅", roles=[str(manager_role.id)], provinces=["44"]),
        status=303,
    )
    user = reload(dbsession, user)
    assert user.display_name == "韩梅梅"
    assert [r.key for r in user.roles] == ["sales_manager"]
    assert [r.code for r in user.regions] == ["44"]
    event = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "users",
            AuditEvent.record_id == str(user.id),
            AuditEvent.action == "update",
        )
    ).one()
    assert event.actor_user_id == admin.id
    assert event.changes["roles"] == [["Sales representative"], ["Sales manager"]]
    assert event.changes["display_name"] == ["Meimei", "韩梅梅"]


def test_new_password_ends_the_users_sessions(login_as, admin, factory, dbsession, client):
    user = factory.user("lei")
    their_browser = login_as(user)
    params = form_params(user, password=NEW_PASSWORD)
    login_as(admin).post_form(f"/settings/users/{user.id}", params, status=303)
    their_browser.get("/", status=303)
    assert client.login("lei", NEW_PASSWORD, status=303)


def test_stale_version_changes_nothing(login_as, admin, factory, dbsession):
    user = factory.user("lily", display_name="Lily")
    stale = form_params(user, display_name="Lily from the form")
    other_admin = factory.user("deputy", role="admin", display_name="Deputy Admin")
    login_as(other_admin).post_form(
        f"/settings/users/{user.id}", form_params(user, mobile="13900000000"), status=303
    )
    page = login_as(admin).post_form(f"/settings/users/{user.id}", stale, status=200)
    assert "This was changed by Deputy Admin at" in page.text
    assert "review and save again" in page.text
    user = reload(dbsession, user)
    assert (user.display_name, user.mobile) == ("Lily", "13900000000")
    # Saving again from the refreshed form goes through.
    assert f'value="{user.version}"' in page.text
    resend = dict(stale, version=str(user.version))
    login_as(admin).post_form(f"/settings/users/{user.id}", resend, status=303)
    assert reload(dbsession, user).display_name == "Lily from the form"


def test_deactivation_ends_sessions_and_tokens(login_as, admin, factory, dbsession, client):
    user = factory.user("dave")
    _token, raw = create_token(dbsession, user, "script", [])
    their_browser = login_as(user)
    their_browser.get("/", status=200)
    bearer = {"Authorization": f"Bearer {raw}"}
    client.get("/regions/children", headers=bearer, status=200)

    web = login_as(admin)
    page = web.get(f"/settings/users/{user.id}")
    assert "data-confirm=" in page.text
    web.post_form(f"/settings/users/{user.id}/active", {"active": "0"}, status=303)

    assert reload(dbsession, user).is_active is False
    assert not dbsession.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert "/login" in their_browser.get("/", status=303).location
    client.get("/regions/children", headers=bearer, status=303)
    client.login("dave", TEST_PASSWORD, status=200)

    web.post_form(f"/settings/users/{user.id}/active", {"active": "1"}, status=303)
    assert reload(dbsession, user).is_active is True
    assert client.login("dave", TEST_PASSWORD, status=303)


def test_admin_cannot_deactivate_themselves(login_as, admin, dbsession):
    web = login_as(admin)
    web.post_form(f"/settings/users/{admin.id}/active", {"active": "0"}, status=303)
    page = web.get(f"/settings/users/{admin.id}")
    assert "You cannot deactivate your own account." in page.text
    assert reload(dbsession, admin).is_active is True


def test_nobody_edits_their_own_roles(login_as, admin, dbsession):
    web = login_as(admin)
    params = form_params(admin, roles=[str(role(dbsession, "sales_rep").id)])
    page = web.post_form(f"/settings/users/{admin.id}", params, status=200)
    assert "You cannot change your own roles." in page.text
    assert [r.key for r in reload(dbsession, admin).roles] == ["admin"]
    # The rest of one's own profile can be saved.
    web.post_form(f"/settings/users/{admin.id}", form_params(admin, mobile="110"), status=303)
    assert reload(dbsession, admin).mobile == "110"


def test_manager_cannot_give_the_admin_role(login_as, helpdesk, factory, dbsession):
    rep = factory.user("rep", role=None)
    web = login_as(helpdesk)
    admin_role = role(dbsession, "admin")
    page = web.post_form(
        f"/settings/users/{rep.id}", form_params(rep, roles=[str(admin_role.id)]), status=200
    )
    assert "You cannot give or withdraw Administrator" in page.text
    assert reload(dbsession, rep).roles == []

    new = new_params("sneaky", roles=[str(admin_role.id)])
    web.post_form("/settings/users/new", new, status=200)
    assert dbsession.scalars(select(User).where(User.username == "sneaky")).first() is None

    # A role whose grants the manager holds is fine.
    desk = dbsession.scalars(select(Role).where(Role.name == "User desk")).one()
    allowed = form_params(rep, roles=[str(desk.id)])
    web.post_form(f"/settings/users/{rep.id}", allowed, status=303)
    assert [r.name for r in reload(dbsession, rep).roles] == ["User desk"]


def test_manager_cannot_change_or_deactivate_an_administrator(login_as, helpdesk, admin, dbsession):
    web = login_as(helpdesk)
    page = web.post_form(f"/settings/users/{admin.id}", form_params(admin, mobile="1"), status=200)
    assert "holds permissions you do not have" in page.text
    web.post_form(f"/settings/users/{admin.id}/active", {"active": "0"}, status=303)
    admin = reload(dbsession, admin)
    assert admin.is_active is True and admin.mobile is None
