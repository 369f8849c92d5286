"""Duplicate warnings on the customer form and in the API, and the duplicates page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.security.tokens import create_token
from plugins.customers.models import Customer

PHONE = "+8613812345678"


def customer_form(page):
    """The customer form of a create or edit page (webtest form)."""
    return next(form for form in page.forms.values() if "name" in form.fields)


def warned(page):
    """Ids of the duplicates the warning links to."""
    return [int(value) for value in re.findall(r'data-duplicate="(\d+)"', page.text)]


def count(dbsession):
    return dbsession.scalar(select(func.count(Customer.id)))


# -- the form -------------------------------------------------------------------------


def test_create_warns_about_lookalikes_and_saves_when_confirmed(
    login_as, org, make_customer, dbsession
):
    mine = make_customer(org["rep"], "上海浦江精密机械有限公司")
    make_customer(org["other_rep"], "申城物流", phone=PHONE)
    make_customer(org["rep"], "上海浦江精密机械厂")  # a different company
    before = count(dbsession)
    web = login_as(org["rep"])
    form = customer_form(web.get("/customers/new"))
    form["name"] = "上海浦江精密机械 股份有限公司"
    form["phone"] = "138 1234 5678"
    page = form.submit(status=200)
    assert warned(page) == [mine.id]
    assert "1 more customer that you cannot see looks the same" in page.text
    assert "申城物流" not in page.text
    assert count(dbsession) == before
    page = customer_form(page).submit(status=303)
    assert count(dbsession) == before + 1
    created = dbsession.get(Customer, int(page.location.rsplit("/", 1)[1]))
    assert created.name == "上海浦江精密机械 股份有限公司"


def test_a_changed_warning_asks_again(login_as, org, make_customer, dbsession):
    make_customer(org["rep"], "甲公司")
    second = make_customer(org["rep"], "乙公司", email="info@yi.cn")
    web = login_as(org["rep"])
    form = customer_form(web.get("/customers/new"))
    form["name"] = "甲有限公司"
    page = form.submit(status=200)
    form = customer_form(page)
    form["email"] = "INFO@yi.cn"
    page = form.submit(status=200)
    assert second.id in warned(page)


def test_edit_warns_only_when_a_compared_field_changes(login_as, org, make_customer, dbsession):
    make_customer(org["rep"], "甲公司", phone=PHONE)
    twin = make_customer(org["rep"], "甲有限公司")
    web = login_as(org["rep"])
    form = customer_form(web.get(f"/customers/{twin.id}/edit"))
    form["short_name"] = "甲"
    form.submit(status=303)
    form = customer_form(web.get(f"/customers/{twin.id}/edit"))
    form["phone"] = PHONE
    page = form.submit(status=200)
    assert "This customer may already exist" in page.text
    dbsession.refresh(twin)
    assert twin.phone is None


# -- the API --------------------------------------------------------------------------


@pytest.fixture
def headers(dbsession, org):
    permissions = [f"customers.customer.{action}" for action in ("view", "create", "edit")]
    token = create_token(dbsession, org["rep"], "t", permissions)[1]
    return {"Authorization": f"Bearer {token}"}


def test_api_answers_409_with_the_duplicates_unless_allowed(
    client, headers, org, make_customer, dbsession
):
    mine = make_customer(org["rep"], "浦江精密机械", credit_code="91310000MA1FL8XQ37")
    make_customer(org["other_rep"], "其他", email="sales@pujiang.cn")
    body = {
        "name": "浦江精密机械集团",
        "email": "Sales@Pujiang.cn",
        "credit_code": "91310000MA1FL8XQ37",
    }
    before = count(dbsession)
    problem = client.post_json("/api/v1/customers", body, headers=headers, status=409)
    assert problem.content_type == "application/problem+json"
    assert problem.json["duplicates"] == [mine.id]
    assert problem.json["hidden_duplicates"] == 1
    assert count(dbsession) == before
    created = client.post_json(
        "/api/v1/customers?allow_duplicates=true", body, headers=headers, status=201
    )
    assert created.json["name"] == "浦江精密机械集团"


def test_api_patch_checks_changed_fields_only(client, headers, org, make_customer):
    make_customer(org["rep"], "甲公司", phone=PHONE)
    twin = make_customer(org["rep"], "甲有限公司")
    url = f"/api/v1/customers/{twin.id}"
    client.patch_json(url, {"short_name": "甲", "version": twin.version}, headers=headers)
    problem = client.patch_json(
        url, {"phone": PHONE, "version": twin.version + 1}, headers=headers, status=409
    )
    assert problem.json["duplicates"]


# -- the duplicates page --------------------------------------------------------------


def test_duplicates_page_lists_pairs_and_forgets_dismissed_ones(
    login_as, admin, org, make_customer
):
    first = make_customer(org["rep"], "甲公司", phone=PHONE)
    second = make_customer(org["other_rep"], "甲贸易", phone=PHONE)
    make_customer(org["rep"], "丙公司", phone="+8613900000000")
    web = login_as(admin)
    page = web.get("/customers/duplicates")
    assert re.findall(r'data-pair="([\d-]+)"', page.text) == [f"{first.id}-{second.id}"]
    assert f"/customers/{first.id}/merge?other={second.id}" in page.text
    web.post_form(
        "/customers/duplicates/dismiss", {"first": second.id, "second": first.id}, status=303
    )
    page = web.get("/customers/duplicates")
    assert "data-pair=" not in page.text
    assert "No duplicates found" in page.text


def test_duplicates_page_groups_by_the_chosen_column_with_paging(
    login_as, admin, org, make_customer, monkeypatch
):
    monkeypatch.setattr("plugins.customers.duplicate_views.PAGE_GROUPS", 1)
    for name in ("甲公司", "甲公司", "乙公司", "乙公司"):
        make_customer(org["rep"], name)
    web = login_as(admin)
    page = web.get("/customers/duplicates", params={"by": "name"})
    assert 'data-duplicate-group="乙公司"' in page.text
    assert 'data-duplicate-group="甲公司"' not in page.text
    next_url = re.search(r'rel="next" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert 'data-duplicate-group="甲公司"' in web.get(next_url).text


def test_duplicates_are_for_administrators(login_as, org, make_customer):
    first = make_customer(org["rep"], "甲公司", phone=PHONE)
    second = make_customer(org["rep"], "甲贸易", phone=PHONE)
    web = login_as(org["manager"])
    web.get("/customers/duplicates", status=403)
    web.post_form(
        "/customers/duplicates/dismiss", {"first": first.id, "second": second.id}, status=403
    )


def test_dismissing_unknown_customers_is_404(login_as, admin, org, make_customer):
    first = make_customer(org["rep"], "甲公司")
    web = login_as(admin)
    web.post_form(
        "/customers/duplicates/dismiss", {"first": first.id, "second": 999999}, status=404
    )
    web.post_form("/customers/duplicates/dismiss", {"first": first.id, "second": "x"}, status=404)
