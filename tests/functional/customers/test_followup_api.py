"""``/api/v1/follow-ups``: list with filters and cursors, create, read, update, delete."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.security.tokens import create_token
from plugins.customers.followup_models import FollowUp

ALL = [f"customers.follow_up.{a}" for a in ("view", "create", "edit", "delete")]
URL = "/api/v1/follow-ups"


@pytest.fixture
def api(client, dbsession):
    """``api(user, permissions)`` → a client whose requests carry a token of ``user``."""

    class Api:
        def __init__(self, user, permissions=(*ALL, "customers.customer.view")):
            token = create_token(dbsession, user, "t", list(permissions))[1]
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


def add(dbsession, customer, user, subject, **columns):
    followup = FollowUp(customer_id=customer.id, user_id=user.id, subject=subject, **columns)
    dbsession.add(followup)
    dbsession.flush()
    return followup


def test_list_filters_sorts_and_pages_within_the_scope(api, org, make_customer, dbsession, clock):
    mine = make_customer(org["rep"])
    theirs = make_customer(org["other_rep"], name="别人的客户")
    for hour in range(3):
        add(
            dbsession,
            mine,
            org["rep"],
            f"第{hour}次",
            happened_at=clock.now - dt.timedelta(hours=hour),
        )
    add(
        dbsession,
        mine,
        org["rep"],
        "计划",
        state="planned",
        due_at=clock.now + dt.timedelta(days=2),
    )
    add(dbsession, theirs, org["other_rep"], "别人的")
    rep = api(org["rep"])
    everything = rep.get(URL).json["items"]
    assert {item["subject"] for item in everything} == {"第0次", "第1次", "第2次", "计划"}
    page = rep.get(URL + "?state=done&sort=-happened_at&limit=2").json
    assert [item["subject"] for item in page["items"]] == ["第0次", "第1次"]
    rest = rep.get(page["next"].removeprefix("http://localhost")).json
    assert [item["subject"] for item in rest["items"]] == ["第2次"] and rest["next"] is None
    due = rep.get(URL + "?due_at__gte=2026-11-23T00:00:00Z&method=phone").json["items"]
    assert [item["subject"] for item in due] == ["计划"]
    assert rep.get(URL + f"?customer_id={theirs.id}").json["items"] == []
    assert rep.get(URL + "?sort=subject", status=400).json["parameter"] == "sort"


def test_create_read_update_delete(api, org, make_customer, dbsession, clock):
    customer = make_customer(org["rep"])
    rep = api(org["rep"])
    created = rep.post(
        URL,
        {
            "customer_id": customer.id,
            "subject": "电话沟通",
            "method": "phone",
            "happened_at": "2026-11-22T09:00:00+08:00",
            "next_at": "2026-11-24T09:00:00+08:00",
        },
        status=201,
    )
    body = created.json
    assert body["state"] == "done" and body["happened_at"] == "2026-11-22T01:00:00+00:00"
    assert created.headers["Location"].endswith(f"/api/v1/follow-ups/{body['id']}")
    follow_ups = rep.get(URL + f"?customer_id={customer.id}&state=planned").json["items"]
    assert [item["due_at"] for item in follow_ups] == ["2026-11-24T01:00:00+00:00"]
    one = rep.get(f"{URL}/{body['id']}")
    assert one.headers["ETag"] == f'"{body["version"]}"'
    changed = rep.patch(
        f"{URL}/{body['id']}", {"subject": "电话沟通（已确认）", "version": body["version"]}
    ).json
    assert changed["subject"] == "电话沟通（已确认）"
    stale = rep.patch(
        f"{URL}/{body['id']}", {"subject": "x", "version": body["version"]}, status=409
    )
    assert stale.json["current_version"] == changed["version"]
    api(org["rep"], [*ALL[:3], "customers.customer.view"]).delete(f"{URL}/{body['id']}", status=403)
    manager = api(org["manager"])
    manager.delete(f"{URL}/{body['id']}", status=204)
    rep.get(f"{URL}/{body['id']}", status=404)
    dbsession.expire_all()
    assert dbsession.get(FollowUp, body["id"]).deleted_at is not None


def test_bad_input_and_scope(api, org, factory, make_customer, dbsession, clock):
    customer = make_customer(org["rep"])
    theirs = make_customer(org["other_rep"], name="别人的客户")
    other_followup = add(dbsession, theirs, org["other_rep"], "别人的")
    rep = api(org["rep"])
    rep.post(URL, {"customer_id": theirs.id, "subject": "x"}, status=404)
    rep.get(f"{URL}/{other_followup.id}", status=404)
    rep.patch(f"{URL}/{other_followup.id}", {"subject": "x", "version": 1}, status=404)
    rep.delete(f"{URL}/{other_followup.id}", status=403)  # representatives never delete
    south = factory.user("south", role="sales_manager", team=factory.team("华南组"))
    api(south).delete(f"{URL}/{other_followup.id}", status=404)
    errors = rep.post(
        URL,
        {"customer_id": customer.id, "subject": "", "happened_at": "2026-11-23T09:00:00+08:00"},
        status=422,
    ).json["errors"]
    assert "subject" in errors
    errors = rep.post(
        URL,
        {"customer_id": customer.id, "subject": "x", "happened_at": "2026-11-23T09:00:00+08:00"},
        status=422,
    ).json["errors"]
    assert "future" in errors["happened_at"][0]
    assert (
        "colour"
        in rep.post(
            URL, {"customer_id": customer.id, "subject": "x", "colour": "red"}, status=422
        ).json["errors"]
    )
    assert (
        dbsession.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)).all() == []
    )
    viewer = api(org["rep"], ["customers.follow_up.view", "customers.customer.view"])
    viewer.post(URL, {"customer_id": customer.id, "subject": "x"}, status=403)


def test_the_openapi_document_describes_follow_ups(client):
    document = client.get("/api/v1/openapi.json").json
    assert {"get", "post"} <= set(document["paths"]["/follow-ups"])
    assert "FollowUp" in document["components"]["schemas"]
