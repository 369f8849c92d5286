"""Explain access: the verdicts agree with enforcement, and the reasons say why."""

from __future__ import annotations

import pytest
from pyramid.i18n import TranslationString

from core.security.catalog import collect_permissions
from core.security.explain import RecordNotFound, explain_access, render_reason
from core.security.identity import Identity
from core.security.models import Region, Role, RoleGrant

EVERYTHING = frozenset({"things"})


@pytest.fixture(scope="session")
def app(things_app):
    """The application with the test module "things" (scoped record type) enabled."""
    return things_app


@pytest.fixture
def catalogue(app):
    return collect_permissions(app.registry["modules"].hooks(EVERYTHING))


@pytest.fixture
def viewer(admin):
    return Identity(user=admin, grants={"things.thing.view": frozenset({"all"})})


@pytest.fixture
def people(factory):
    """A team with a sub-team, a representative in each and their manager."""
    north = factory.team("North")
    north_east = factory.team("North-east", parent=north)
    return {
        "team": north,
        "sub_team": north_east,
        "rep": factory.user("rep", role="sales_rep", team=north),
        "other_rep": factory.user("other", role="sales_rep", team=north_east),
        "manager": factory.user("boss", role="sales_manager", team=north),
    }


@pytest.fixture
def thing(dbsession, thing_type):
    """``thing(**columns)`` adds a thing."""

    def make(name="Widget", **columns):
        record = thing_type.model(name=name, **columns)
        dbsession.add(record)
        dbsession.flush()
        return record

    return make


@pytest.fixture
def explain(dbsession, viewer, catalogue, thing_type):
    """``explain(user, record, enabled)``: the verdicts by permission."""

    def run(user, record, enabled=EVERYTHING):
        found = explain_access(dbsession, viewer, user, thing_type, record.id, catalogue, enabled)
        return {verdict.permission.name: verdict for verdict in found.verdicts}

    return run


class English:
    """Just enough of a request for :func:`render_reason`: no translation catalogue."""

    def translate(self, message, **mapping):
        merged = {**(getattr(message, "mapping", None) or {}), **mapping}
        return TranslationString(message, mapping=merged).interpolate()


def texts(verdict):
    return [render_reason(English(), reason.message) for reason in verdict.reasons]


def test_owner_may_view_and_edit_but_not_delete(people, thing, explain):
    record = thing(owner_id=people["rep"].id, team_id=people["team"].id)
    verdicts = explain(people["rep"], record)
    assert list(verdicts) == ["things.thing.view", "things.thing.edit", "things.thing.delete"]
    assert verdicts["things.thing.view"].allowed
    assert texts(verdicts["things.thing.view"]) == [
        "Sales representative: granted for own records, and Rep owns this record."
    ]
    assert not verdicts["things.thing.delete"].allowed
    assert texts(verdicts["things.thing.delete"]) == [
        "None of Rep's roles (Sales representative) grants this permission."
    ]


def test_someone_elses_record_names_its_owner(people, thing, explain):
    record = thing(owner_id=people["other_rep"].id)
    verdict = explain(people["rep"], record)["things.thing.edit"]
    assert not verdict.allowed
    assert texts(verdict) == [
        "Sales representative: granted for own records, but this record is owned by Other."
    ]


def test_team_scope_reaches_sub_teams_only(people, factory, thing, explain):
    below = thing(team_id=people["sub_team"].id)
    verdict = explain(people["manager"], below)["things.thing.view"]
    assert verdict.allowed
    assert "this record belongs to North-east, which is Boss's team" in texts(verdict)[0]
    elsewhere = thing(team_id=factory.team("South").id)
    verdict = explain(people["manager"], elsewhere)
    assert not verdict["things.thing.view"].allowed
    assert "this record's team South is not Boss's team" in texts(verdict["things.thing.view"])[0]


def test_region_grant_and_several_roles(dbsession, people, thing, explain):
    regional = Role(
        name="Guangdong desk", grants=[RoleGrant(permission="things.thing.view", scope="region")]
    )
    dbsession.add(regional)
    rep = people["rep"]
    rep.roles = [*rep.roles, regional]
    dbsession.flush()
    record = thing(owner_id=people["other_rep"].id, province_code="44")
    verdict = explain(rep, record)["things.thing.view"]
    assert not verdict.allowed
    assert texts(verdict)[1] == (
        "Guangdong desk: granted in assigned regions, but no region is assigned to Rep."
    )
    rep.regions = [dbsession.get(Region, "44")]
    dbsession.flush()
    verdict = explain(rep, record)["things.thing.view"]
    assert verdict.allowed
    assert [reason.grants for reason in verdict.reasons] == [False, True]
    assert "region 广东省 (44) is assigned to Rep" in texts(verdict)[1]


def test_inactive_user_and_disabled_module_are_denied(dbsession, people, thing, explain):
    record = thing(owner_id=people["rep"].id)
    off = explain(people["rep"], record, enabled=frozenset())
    assert texts(off["things.thing.view"]) == ["The module things is disabled."]
    people["rep"].is_active = False
    dbsession.flush()
    verdicts = explain(people["rep"], record)
    assert not any(verdict.allowed for verdict in verdicts.values())
    assert texts(verdicts["things.thing.view"]) == ["Rep is deactivated and cannot sign in."]


def test_records_the_viewer_cannot_reach_are_not_found(
    dbsession, catalogue, people, thing, thing_type
):
    record = thing(owner_id=people["other_rep"].id)
    own_only = Identity(user=people["rep"], grants={"things.thing.view": frozenset({"own"})})
    for record_id in (record.id, 999999, "abc", 2**70):
        with pytest.raises(RecordNotFound):
            explain_access(
                dbsession, own_only, people["rep"], thing_type, record_id, catalogue, EVERYTHING
            )


def test_page_explains_for_the_chosen_user(login_as, admin, people, thing):
    record = thing(name="Gear", owner_id=people["rep"].id)
    page = login_as(admin).get(
        "/settings/explain-access",
        {"user": people["rep"].id, "record_type": "thing", "record_id": record.id},
    )
    assert "Rep and Gear" in page.text
    row = page.html.find("tr", attrs={"data-permission": "things.thing.edit"})
    assert row["data-allowed"] == "yes"
    assert "Rep owns this record" in row.text
    denied = page.html.find("tr", attrs={"data-permission": "things.thing.delete"})
    assert denied["data-allowed"] == "no"


def test_page_says_when_the_record_or_type_is_unknown(login_as, admin, people):
    web = login_as(admin)
    query = {"user": people["rep"].id, "record_type": "thing", "record_id": "404404"}
    page = web.get("/settings/explain-access", query)
    assert "There is no Thing with this id that you may see." in page.text
    page = web.get("/settings/explain-access", {**query, "record_type": "spaceship"})
    assert "Not a valid choice" in page.text
    page = web.get("/settings/explain-access", {**query, "user": "nobody"})
    assert page.html.find(id="user-errors") is not None


def test_page_lists_users_and_record_types(login_as, admin, people):
    page = login_as(admin).get("/settings/explain-access")
    types = [o["value"] for o in page.html.find("select", id="record_type").find_all("option")]
    assert "thing" in types
    users = page.html.find("select", id="user").text
    assert "Rep (rep)" in users


def test_page_is_refused_without_the_permission(login_as, people, client):
    login_as(people["manager"]).get("/settings/explain-access", status=403)
    client.get("/settings/explain-access", status=303)
