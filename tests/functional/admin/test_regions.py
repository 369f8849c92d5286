"""Settings → Regions: browsing official divisions, custom regions, the children endpoint."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEvent
from core.security.models import Region


def region(dbsession, code):
    dbsession.expire_all()
    return dbsession.get(Region, code)


def add_custom(web, code="gba", name="大湾区", parent="44", status=303):
    params = {"code": code, "name": name, "parent": parent}
    return web.post_form("/settings/regions/new", params, status=status)


def test_admin_pages_need_the_permission(login_as, factory, client, admin, dbsession):
    add_custom(login_as(admin))
    web = login_as(factory.user("rep", role="sales_manager"))
    for url in ("/settings/regions", "/settings/regions/new", "/settings/regions/XGBA/edit"):
        web.get(url, status=403)
        assert "/login?next=" in client.get(url, status=303).location
    for url in (
        "/settings/regions/new",
        "/settings/regions/XGBA/edit",
        "/settings/regions/XGBA/delete",
    ):
        web.post_form(url, {"code": "Y", "name": "Hacked"}, status=403)
        client.post_form(url, {"code": "Y", "name": "Hacked"}, status=303)
    assert region(dbsession, "XGBA").name == "大湾区"


def test_official_and_unknown_regions_cannot_be_edited(login_as, admin):
    web = login_as(admin)
    web.get("/settings/regions/44/edit", status=404)
    web.post_form("/settings/regions/44/edit", {"name": "x"}, status=404)
    web.post_form("/settings/regions/44/delete", {}, status=404)
    web.get("/settings/regions/NOPE/edit", status=404)
    web.get("/settings/regions", params={"parent": "NOPE"}, status=404)


def test_browse_provinces_cities_districts(login_as, admin):
    web = login_as(admin)

    def rows(page):
        return [tr.attrs["data-region"] for tr in page.html.select("tr[data-region]")]

    provinces = web.get("/settings/regions")
    assert len(rows(provinces)) == 34 and rows(provinces)[0] == "11"
    cities = web.get("/settings/regions", params={"parent": "44"})
    assert "4401" in rows(cities) and "广州市" in cities.text
    districts = web.get("/settings/regions", params={"parent": "4401"})
    assert "440106" in rows(districts) and "天河区" in districts.text
    assert "广东省" in districts.text  # the breadcrumb trail
    beijing = web.get("/settings/regions", params={"parent": "11"})
    row = beijing.html.select_one('tr[data-region="1101"]')
    assert "北京市" in row.text and "市辖区" not in row.text
    assert "Official" in row.text and "Edit" not in row.text


def test_children_endpoint_for_any_logged_in_user(login_as, factory, client):
    client.get("/regions/children", status=303)
    web = login_as(factory.user("rep"))
    top = web.get("/regions/children").json
    assert top["parent"] is None
    assert {"code": "44", "name": "广东省", "label": "广东省", "level": 1}.items() <= next(
        child for child in top["children"] if child["code"] == "44"
    ).items()
    beijing = web.get("/regions/children", params={"parent": "11"}).json
    assert beijing["parent"] == {"code": "11", "name": "北京市"}
    assert beijing["children"] == [
        {
            "code": "1101",
            "name": "市辖区",
            "label": "北京市",
            "level": 2,
            "custom": False,
            "has_children": True,
        }
    ]
    leaf = web.get("/regions/children", params={"parent": "440106"}).json
    assert leaf["children"] == []
    web.get("/regions/children", params={"parent": "NOPE"}, status=404)


def test_custom_region_lifecycle(login_as, admin, dbsession):
    web = login_as(admin)
    add_custom(web, code="gba")
    gba = region(dbsession, "XGBA")
    assert (gba.name, gba.parent_code, gba.level, gba.custom) == ("大湾区", "44", 2, True)
    children = web.get("/regions/children", params={"parent": "44"}).json["children"]
    assert {"code": "XGBA", "custom": True, "level": 2}.items() <= children[-1].items()

    add_custom(web, code="XSZ1", name="深圳东", parent="XGBA")
    web.post_form("/settings/regions/XGBA/edit", {"name": "粤港澳大湾区", "parent": ""}, status=303)
    gba, child = region(dbsession, "XGBA"), region(dbsession, "XSZ1")
    assert (gba.name, gba.parent_code, gba.level) == ("粤港澳大湾区", None, 1)
    assert child.level == 2

    web.post_form("/settings/regions/XSZ1/delete", {}, status=303)
    assert region(dbsession, "XSZ1") is None
    actions = dbsession.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.record_type == "regions", AuditEvent.record_id == "XGBA")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "update"]
    assert dbsession.scalars(
        select(AuditEvent).where(AuditEvent.record_id == "XSZ1", AuditEvent.action == "delete")
    ).one()


def test_custom_region_refusals(login_as, admin, factory, dbsession):
    web = login_as(admin)
    add_custom(web, code="GBA")
    assert "The code XGBA is taken." in add_custom(web, code="xgba", status=200).text
    assert "Use 1 to 19 letters or digits." in add_custom(web, code="g b", status=200).text
    assert "No region has the code 99." in add_custom(web, code="A1", parent="99", status=200).text
    add_custom(web, code="A2", name="Child", parent="XGBA")
    page = web.post_form("/settings/regions/XGBA/edit", {"name": "x", "parent": "XA2"}, status=200)
    assert "A region cannot be placed under itself or its sub-regions." in page.text
    assert region(dbsession, "XGBA").parent_code == "44"

    web.post_form("/settings/regions/XGBA/delete", {}, status=303)
    assert "Delete or move its sub-regions first." in web.get("/settings/regions").text
    factory.user("rep", regions=("XA2",))
    web.post_form("/settings/regions/XA2/delete", {}, status=303)
    assert "Users still have this region" in web.get("/settings/regions").text
    assert region(dbsession, "XA2") is not None
