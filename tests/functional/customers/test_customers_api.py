"""/api/v1/customers: scoped lists and records, writes with versions, problems, custom fields."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.customfields.service import create_definition
from core.security.tokens import create_token
from plugins.customers.hooks import guanxi_record_types
from plugins.customers.models import Customer

API = "/api/v1/customers"
ALL = [
    f"customers.customer.{action}" for action in ("view", "create", "edit", "edit_status", "delete")
]


@pytest.fixture
def api(client, dbsession):
    """``api(user)`` → a client whose requests carry a token of ``user``."""

    class Api:
        def __init__(self, user):
            self.headers = {"Authorization": f"Bearer {create_token(dbsession, user, 't', ALL)[1]}"}

        def get(self, url, **kw):
            return client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

        def post(self, url, body, **kw):
            return client.post_json(url, body, headers=self.headers, **kw)

        def patch(self, url, body, **kw):
            return client.patch_json(
                url, body, headers={**self.headers, **kw.pop("headers", {})}, **kw
            )

        def delete(self, url, **kw):
            return client.delete(url, headers=self.headers, **kw)

    return Api


def test_list_is_scoped_filtered_sorted_and_paged(api, org, make_customer):
    mine = [
        make_customer(org["rep"], name, status=status)
        for name, status in (("B", "active"), ("A", "active"), ("C", "potential"))
    ]
    make_customer(org["other_rep"], "D")
    rep = api(org["rep"])
    assert [c["name"] for c in rep.get(API, params={"sort": "name"}).json["items"]] == [
        "A",
        "B",
        "C",
    ]
    active = rep.get(API, params={"status": "active", "sort": "-name"}).json
    assert [c["name"] for c in active["items"]] == ["B", "A"]
    first = rep.get(API, params={"limit": "2", "sort": "name"}).json
    assert [c["name"] for c in first["items"]] == ["A", "B"]
    second = rep.get(first["next"].replace("http://localhost", "")).json
    assert [c["name"] for c in second["items"]] == ["C"] and second["next"] is None
    assert {c["id"] for c in api(org["manager"]).get(API).json["items"]} >= {c.id for c in mine}
    assert len(api(org["manager"]).get(API).json["items"]) == 4


def test_list_rejects_unknown_filters(api, org):
    problem = api(org["rep"]).get(API, params={"colour": "red"}, status=400)
    assert problem.content_type == "application/problem+json"
    assert problem.json["parameter"] == "colour"


def test_read_one_with_etag_and_404_outside_scope(api, org, make_customer):
    mine = make_customer(org["rep"], phone="+8613812345678")
    theirs = make_customer(org["other_rep"])
    rep = api(org["rep"])
    response = rep.get(f"{API}/{mine.id}")
    assert response.json["phone"] == "+8613812345678"
    assert response.headers["ETag"] == '"1"'
    assert rep.get(f"{API}/{theirs.id}", status=404).content_type == "application/problem+json"


def test_create_numbers_and_defaults_the_owner(api, org, dbsession):
    response = api(org["rep"]).post(
        API, {"name": "深圳南山智能硬件有限公司", "phone": "13812345678"}, status=201
    )
    body = response.json
    assert body["code"].startswith("C") and len(body["code"]) == 11
    assert (body["owner_id"], body["team_id"], body["status"]) == (
        org["rep"].id,
        org["east"].id,
        "potential",
    )
    assert response.location.endswith(f"{API}/{body['id']}")
    assert dbsession.get(Customer, body["id"]).phone == "+8613812345678"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "phone": "12"}, "phone"),
        ({"name": "X", "status": "asleep"}, "status"),
        ({"name": "X", "colour": "red"}, "colour"),
        ({"name": 5}, "name"),
        ({"name": "X", "owner_id": "me"}, "owner_id"),
        ({"name": "X", "custom": []}, "custom"),
    ],
)
def test_create_refuses_invalid_bodies(api, org, dbsession, body, field):
    problem = api(org["rep"]).post(API, body, status=422).json
    assert field in problem["errors"]
    assert dbsession.scalars(select(Customer)).all() == []


def test_representative_cannot_give_a_customer_away(api, org, dbsession):
    problem = api(org["rep"]).post(API, {"name": "X", "owner_id": org["other_rep"].id}, status=422)
    assert "owner_id" in problem.json["errors"]


def test_patch_with_version_and_conflicts(api, org, dbsession, make_customer):
    customer = make_customer(org["rep"], status="potential")
    rep = api(org["rep"])
    saved = rep.patch(
        f"{API}/{customer.id}", {"status": "active"}, headers={"If-Match": '"1"'}
    ).json
    assert (saved["status"], saved["version"], saved["name"]) == ("active", 2, customer.name)
    stale = rep.patch(f"{API}/{customer.id}", {"status": "churned", "version": 1}, status=409)
    assert stale.json["current_version"] == 2
    rep.patch(f"{API}/{customer.id}", {"status": "churned"}, status=428)
    dbsession.refresh(customer)
    assert customer.status == "active"


def test_patch_and_delete_outside_scope_are_404(api, org, factory, make_customer):
    theirs = make_customer(org["other_rep"])
    api(org["rep"]).patch(f"{API}/{theirs.id}", {"name": "X", "version": 1}, status=404)
    analyst = api(factory.user("analyst", role="analyst"))
    analyst.patch(f"{API}/{theirs.id}", {"status": "active", "version": 1}, status=404)
    api(org["rep"]).delete(f"{API}/{theirs.id}", status=404)


def test_delete_hides_the_customer(api, org, dbsession, make_customer):
    customer = make_customer(org["other_rep"])
    manager = api(org["manager"])
    manager.delete(f"{API}/{customer.id}", status=204)
    manager.get(f"{API}/{customer.id}", status=404)
    dbsession.refresh(customer)
    assert customer.deleted_at is not None
    mine = make_customer(org["rep"])
    api(org["rep"]).delete(f"{API}/{mine.id}", status=404)  # no delete grant at all


def test_anonymous_and_unpermitted_callers(client, api, factory):
    client.get(API, status=401)
    nobody = api(factory.user("nobody", role=None))
    nobody.get(API, status=403)
    nobody.post(API, {"name": "X"}, status=403)


def test_custom_fields_are_validated_filtered_and_returned(api, org, dbsession):
    create_definition(
        dbsession,
        guanxi_record_types()[0],
        key="tier",
        field_type="choice",
        labels={"en": "Tier"},
        filterable=True,
        choices=[{"value": v, "labels": {"en": v.title()}} for v in ("gold", "silver")],
    )
    rep = api(org["rep"])
    created = rep.post(API, {"name": "甲", "custom": {"tier": "gold"}}, status=201).json
    assert created["custom"] == {"tier": "gold"}
    rep.post(API, {"name": "乙", "custom": {"tier": "silver"}}, status=201)
    problem = rep.post(API, {"name": "丙", "custom": {"tier": "bronze"}}, status=422).json
    assert "custom.tier" in problem["errors"]
    gold = rep.get(API, params={"cf_tier": "gold"}).json["items"]
    assert [c["name"] for c in gold] == ["甲"]
    patched = rep.patch(f"{API}/{created['id']}", {"custom": {"tier": None}, "version": 1}).json
    assert patched["custom"] == {}


def test_openapi_document_describes_customers(client):
    document = client.get("/api/v1/openapi.json").json
    assert {"get", "post"} <= set(document["paths"]["/customers"])
    assert {"get", "patch", "delete"} <= set(document["paths"]["/customers/{id}"])
    assert "Customer" in document["components"]["schemas"]
