"""/api/v1/tags and the tags of /api/v1/customers: permissions, versions, system tags, scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.security.tokens import create_token
from plugins.customers.models import Customer
from plugins.customers.tags import VIP, add_tags, create_tag, find_tag

API = "/api/v1/tags"
CUSTOMER = [
    f"customers.customer.{action}" for action in ("view", "create", "edit", "edit_status", "delete")
]
ALL = [*CUSTOMER, "customers.tag.manage"]


@pytest.fixture
def api(client, dbsession):
    """``api(user, permissions)`` → a client whose requests carry a token of ``user``."""

    class Api:
        def __init__(self, user, permissions=ALL):
            token = create_token(dbsession, user, "t", permissions)[1]
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, url, **kw):
            return client.get(url, headers=self.headers, **kw)

        def post(self, url, body, **kw):
            return client.post_json(url, body, headers=self.headers, **kw)

        def patch(self, url, body, **kw):
            return client.patch_json(url, body, headers=self.headers, **kw)

        def delete(self, url, **kw):
            return client.delete(url, headers=self.headers, **kw)

    return Api


def tags_of(dbsession, customer_id):
    dbsession.expire_all()
    return [tag.name for tag in dbsession.get(Customer, customer_id).tags]


# -- /api/v1/tags ---------------------------------------------------------------------


def test_list_and_read_need_customer_view(api, org, client, dbsession):
    create_tag(dbsession, "行业-制造业", "green")
    rep = api(org["rep"])
    page = rep.get(API).json
    assert [t["name"] for t in page["items"]] == [
        "VIP",
        "新客户",
        "流失预警",
        "行业-制造业",
        "重点跟进",
    ]
    grouped = rep.get(API, params={"group": "行业"}).json["items"]
    assert [(t["name"], t["group"], t["color"], t["is_system"]) for t in grouped] == [
        ("行业-制造业", "行业", "green", False)
    ]
    vip = find_tag(dbsession, VIP)
    one = rep.get(f"{API}/{vip.id}")
    assert one.json["is_system"] is True and one.headers["ETag"] == f'"{vip.version}"'
    rep.get(f"{API}/999999", status=404)
    client.get(API, status=401)
    outsider = api(org["rep"], ["customers.tag.manage"])
    outsider.get(API, status=403)


def test_create_needs_tag_manage_and_refuses_duplicates(api, org, admin, dbsession):
    rep = api(org["rep"])
    rep.post(API, {"name": "偷偷"}, status=403)
    assert find_tag(dbsession, "偷偷") is None
    manager = api(org["manager"])
    created = manager.post(API, {"name": " 区域－华东 "}, status=201)
    assert created.json["name"] == "区域-华东"
    assert created.json["group"] == "区域" and created.json["color"] == "blue"
    assert created.location.endswith(f"{API}/{created.json['id']}")
    problem = manager.post(API, {"name": "vip"}, status=422).json
    assert problem["errors"] == {"name": ["A tag called VIP already exists."]}
    problem = manager.post(API, {"name": "新", "color": "plaid", "extra": 1}, status=422).json
    assert problem["errors"] == {"extra": ["There is no such field."]}
    problem = manager.post(API, {"name": "新", "color": "plaid"}, status=422).json
    assert problem["errors"] == {"color": ["Choose one of the colours."]}


def test_update_with_versions_and_system_tags(api, org, dbsession):
    manager = api(org["manager"])
    tag = create_tag(dbsession, "旧名")
    url = f"{API}/{tag.id}"
    api(org["rep"]).patch(url, {"name": "x", "version": tag.version}, status=403)
    manager.patch(url, {"name": "新名"}, status=428)
    saved = manager.patch(url, {"name": "行业-新名", "version": tag.version}).json
    assert (saved["name"], saved["group"], saved["color"]) == ("行业-新名", "行业", "blue")
    stale = manager.patch(url, {"color": "red", "version": tag.version}, status=409).json
    assert stale["current_version"] == saved["version"]
    vip = find_tag(dbsession, VIP)
    vip_url = f"{API}/{vip.id}"
    problem = manager.patch(vip_url, {"name": "贵宾", "version": vip.version}, status=422).json
    assert "cannot be renamed" in problem["errors"]["name"][0]
    assert manager.patch(vip_url, {"color": "red", "version": vip.version}).json["color"] == "red"


def test_delete_takes_the_tag_off_customers_but_not_system_tags(api, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    tag = create_tag(dbsession, "临时")
    add_tags(dbsession, [customer.id], [tag.id])
    url = f"{API}/{tag.id}"
    api(org["rep"]).delete(url, status=403)
    manager = api(org["manager"])
    manager.delete(url, status=204)
    assert tags_of(dbsession, customer.id) == []
    manager.delete(url, status=404)
    vip = find_tag(dbsession, VIP)
    problem = manager.delete(f"{API}/{vip.id}", status=422).json
    assert problem["errors"] == {"tag": ["VIP is a system tag: it cannot be deleted."]}


# -- tags of customers ----------------------------------------------------------------


def test_customers_carry_and_set_tags_by_name(api, org, dbsession):
    rep = api(org["rep"])
    created = rep.post(
        "/api/v1/customers", {"name": "宁波港口物流", "tags": ["vip", "重点跟进"]}, status=201
    ).json
    assert created["tags"] == ["VIP", "重点跟进"]
    url = f"/api/v1/customers/{created['id']}"
    read = rep.get(url)
    assert read.json["tags"] == ["VIP", "重点跟进"]
    assert read.headers["ETag"] == f'"{created["version"]}"'
    changed = rep.patch(url, {"tags": ["新客户"], "version": created["version"]}).json
    assert changed["tags"] == ["新客户"] and changed["version"] > created["version"]
    assert tags_of(dbsession, created["id"]) == ["新客户"]
    listed = rep.get("/api/v1/customers").json["items"]
    assert [c["tags"] for c in listed] == [["新客户"]]
    problem = rep.patch(url, {"tags": ["没有"], "version": changed["version"]}, status=422).json
    assert problem["errors"] == {"tags": ["There is no tag called 没有."]}
    problem = rep.patch(url, {"tags": "VIP", "version": changed["version"]}, status=422).json
    assert problem["errors"] == {"tags": ["Give tags as a list of tag names."]}
    assert tags_of(dbsession, created["id"]) == ["新客户"]


def test_tags_of_customers_out_of_reach(api, org, dbsession, make_customer):
    theirs = make_customer(org["other_rep"])
    url = f"/api/v1/customers/{theirs.id}"
    api(org["rep"]).patch(url, {"tags": ["VIP"], "version": theirs.version}, status=404)
    agent = api(org["agent"])
    problem = agent.patch(url, {"tags": ["VIP"], "version": theirs.version}, status=403).json
    assert problem["errors"] == {"tags": ["You may not change this field."]}
    assert tags_of(dbsession, theirs.id) == []
    same = agent.patch(url, {"tags": [], "status": "active", "version": theirs.version}).json
    assert same["status"] == "active"


def test_creating_a_tagged_customer_needs_edit(api, org, factory, dbsession):
    creator = factory.user("creator", role="sales_rep")
    token = api(creator, ["customers.customer.view", "customers.customer.create"])
    problem = token.post(
        "/api/v1/customers", {"name": "无权打标签", "tags": ["VIP"]}, status=403
    ).json
    assert problem["errors"] == {"tags": ["You may not change this field."]}
    assert dbsession.scalars(select(Customer).where(Customer.name == "无权打标签")).all() == []


def test_openapi_describes_tags(client):
    document = client.get("/api/v1/openapi.json").json
    assert {"get", "post"} <= set(document["paths"]["/tags"])
    assert {"get", "patch", "delete"} <= set(document["paths"]["/tags/{id}"])
    schemas = document["components"]["schemas"]
    assert {"Tag", "TagInput", "TagPatch"} <= set(schemas)
    assert schemas["Customer"]["properties"]["tags"]["type"] == "array"
