"""Field groups on customers: the status under ``edit_status``, every other field under ``edit``.

A service agent may change the status of any customer and nothing else; a role
with ``edit`` but not ``edit_status`` the reverse.  Read-only fields are disabled
on the edit page; changing one anyway (a tampered post, an API body) is refused
with 403 and nothing is saved.
"""

from __future__ import annotations

import re

import pytest

from core.customfields.service import create_definition
from core.security.models import Role, RoleGrant
from core.security.tokens import create_token
from plugins.customers.hooks import guanxi_record_types

API = "/api/v1/customers"
TOKEN = [f"customers.customer.{action}" for action in ("view", "create", "edit", "edit_status")]
TAG = re.compile(r"<(?:input|select|textarea)\b([^>]*)>")


def disabled_fields(page):
    """Names of the page's disabled form controls."""
    names = set()
    for attrs in TAG.findall(page.text):
        name = re.search(r'\bname="([^"]+)"', attrs)
        if name and re.search(r"\bdisabled\b", attrs):
            names.add(name.group(1))
    return names


def every_field(page):
    """The edit form's fields and values, disabled ones included."""
    form = next(form for form in page.forms.values() if "version" in form.fields)
    return {name: value for name, value in form.submit_fields() if name}


def browser_post(page, **changes):
    """What a browser sends from the edit form: every field that is not disabled."""
    sent = every_field(page)
    for name in disabled_fields(page):
        sent.pop(name, None)
    return {**sent, **changes}


def stored(dbsession, customer):
    dbsession.refresh(customer)
    return (customer.name, customer.status, customer.notes, customer.custom, customer.version)


@pytest.fixture
def basic_editor(factory, dbsession):
    """A user who may edit their own customers' basic information but not their status."""
    role = Role(name="Basic editor")
    role.grants = [
        RoleGrant(permission=f"customers.customer.{action}", scope="own")
        for action in ("view", "edit")
    ]
    dbsession.add(role)
    user = factory.user("basic", role=None)
    user.roles = [role]
    dbsession.flush()
    return user


@pytest.fixture
def tier(dbsession):
    """A required choice custom field that existing customers have no value for."""
    return create_definition(
        dbsession,
        guanxi_record_types()[0],
        key="tier",
        field_type="choice",
        labels={"en": "Tier"},
        required=True,
        choices=[{"value": v, "labels": {"en": v.title()}} for v in ("gold", "silver")],
    )


# -- the edit page --------------------------------------------------------------------


def test_agent_sees_every_field_but_the_status_disabled(login_as, org, make_customer, tier):
    customer = make_customer(org["other_rep"])
    page = login_as(org["agent"]).get(f"/customers/{customer.id}/edit")
    assert {"name", "code", "owner_id", "province_code", "notes", "cf_tier"} <= disabled_fields(
        page
    )
    assert "status" not in disabled_fields(page)
    assert "You may not change this field." in page.text
    own = make_customer(org["rep"])
    assert disabled_fields(login_as(org["rep"]).get(f"/customers/{own.id}/edit")) == set()


def test_agent_changes_the_status_with_the_form_as_sent(
    login_as, org, dbsession, make_customer, tier
):
    customer = make_customer(org["other_rep"], notes="大客户", status="potential")
    web = login_as(org["agent"])
    page = web.get(f"/customers/{customer.id}/edit")
    web.post_form(
        f"/customers/{customer.id}/edit", browser_post(page, status="at_risk"), status=303
    )
    assert stored(dbsession, customer) == (customer.name, "at_risk", "大客户", {}, 2)
    assert customer.updated_by_id == org["agent"].id


def test_tampered_post_changing_a_read_only_field_saves_nothing(
    login_as, org, dbsession, make_customer, tier
):
    customer = make_customer(org["other_rep"], "原名称有限公司", status="potential")
    before = stored(dbsession, customer)
    web = login_as(org["agent"])
    page = web.get(f"/customers/{customer.id}/edit")
    for tampered, label in (
        ({"name": "篡改的名称"}, "Name"),
        ({"notes": "悄悄改的备注"}, "Notes"),
        ({"cf_tier": "gold"}, "Tier"),
    ):
        values = browser_post(page, status="active", **tampered)
        refused = web.post_form(f"/customers/{customer.id}/edit", values, status=403)
        assert f"You may not change {label}. Nothing was saved." in refused.text
        assert stored(dbsession, customer) == before
    assert 'value="原名称有限公司"' in refused.text  # shown again as stored, still disabled
    assert "name" in disabled_fields(refused)


def test_read_only_fields_sent_unchanged_are_accepted(login_as, org, dbsession, make_customer):
    customer = make_customer(org["other_rep"], phone="+8613812345678")
    web = login_as(org["agent"])
    page = web.get(f"/customers/{customer.id}/edit")
    # The stored values, a phone written differently and a blank code ("keep it").
    values = {**every_field(page), "status": "churned", "phone": "138 1234 5678", "code": ""}
    web.post_form(f"/customers/{customer.id}/edit", values, status=303)
    dbsession.refresh(customer)
    assert (customer.status, customer.phone) == ("churned", "+8613812345678")


def test_editor_without_the_status_group_cannot_change_it(
    login_as, basic_editor, dbsession, make_customer
):
    customer = make_customer(basic_editor, "旧名称", status="potential")
    web = login_as(basic_editor)
    page = web.get(f"/customers/{customer.id}/edit")
    assert disabled_fields(page) == {"status"}
    web.post_form(f"/customers/{customer.id}/edit", browser_post(page, status="active"), status=403)
    assert stored(dbsession, customer)[:2] == ("旧名称", "potential")
    web.post_form(f"/customers/{customer.id}/edit", browser_post(page, name="新名称"), status=303)
    assert stored(dbsession, customer)[:2] == ("新名称", "potential")


def test_edit_page_is_404_without_any_group_in_scope(login_as, factory, org, make_customer):
    customer = make_customer(org["rep"])
    analyst = login_as(factory.user("analyst", role="analyst"))
    analyst.get(f"/customers/{customer.id}", status=200)
    analyst.get(f"/customers/{customer.id}/edit", status=404)
    analyst.post_form(f"/customers/{customer.id}/edit", {"status": "active"}, status=404)
    login_as(org["other_rep"]).get(f"/customers/{customer.id}/edit", status=404)


# -- the API --------------------------------------------------------------------------


def bearer(dbsession, user):
    return {"Authorization": f"Bearer {create_token(dbsession, user, 't', TOKEN)[1]}"}


def test_agent_patches_the_status_but_no_other_field(client, org, dbsession, make_customer):
    customer = make_customer(org["other_rep"], "甲公司", status="potential")
    headers = bearer(dbsession, org["agent"])
    url = f"{API}/{customer.id}"
    for body in (
        {"name": "乙公司", "status": "active"},
        {"name": ""},  # refused before being found invalid
        {"notes": "备注"},
    ):
        problem = client.patch_json(url, {**body, "version": 1}, headers=headers, status=403)
        assert problem.content_type == "application/problem+json"
        assert set(problem.json["errors"]) == set(body) - {"status"}
        assert problem.json["errors"]["name" if "name" in body else "notes"] == [
            "You may not change this field."
        ]
        assert stored(dbsession, customer) == ("甲公司", "potential", "", {}, 1)
    saved = client.patch_json(
        url, {"status": "active", "name": "甲公司", "version": 1}, headers=headers
    ).json
    assert (saved["status"], saved["name"], saved["version"]) == ("active", "甲公司", 2)


def test_custom_values_belong_to_the_basic_information(client, org, dbsession, make_customer):
    create_definition(
        dbsession,
        guanxi_record_types()[0],
        key="tier",
        field_type="choice",
        labels={"en": "Tier"},
        choices=[{"value": v, "labels": {"en": v.title()}} for v in ("gold", "silver")],
    )
    customer = make_customer(org["other_rep"], custom={"tier": "silver"})
    url = f"{API}/{customer.id}"
    agent = bearer(dbsession, org["agent"])
    for value in ("gold", "bronze"):
        body = {"custom": {"tier": value}, "version": 1}
        problem = client.patch_json(url, body, headers=agent, status=403).json
        assert list(problem["errors"]) == ["custom.tier"]
    client.patch_json(url, {"custom": {"tier": "silver"}, "version": 1}, headers=agent)
    assert stored(dbsession, customer)[3:] == ({"tier": "silver"}, 1)  # no change at all
    manager = bearer(dbsession, org["manager"])
    client.patch_json(url, {"custom": {"tier": "gold"}, "version": 1}, headers=manager)
    assert stored(dbsession, customer)[3:] == ({"tier": "gold"}, 2)


def test_basic_editor_may_not_patch_the_status(client, basic_editor, dbsession, make_customer):
    customer = make_customer(basic_editor, status="potential")
    headers = bearer(dbsession, basic_editor)
    url = f"{API}/{customer.id}"
    problem = client.patch_json(
        url, {"status": "active", "version": 1}, headers=headers, status=403
    )
    assert list(problem.json["errors"]) == ["status"]
    client.patch_json(url, {"notes": "可以改", "version": 1}, headers=headers)
    assert stored(dbsession, customer)[1:3] == ("potential", "可以改")
