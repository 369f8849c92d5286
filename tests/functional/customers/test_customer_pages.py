"""The customer pages: list, search, filters, paging, detail, create, edit, delete, restore."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.security.models import Role, RoleGrant
from plugins.customers.forms import COLUMNS as FORM_COLUMNS
from plugins.customers.models import Customer


def rows(page):
    """Customer ids of the list's rows, in order."""
    return [int(value) for value in re.findall(r'data-customer="(\d+)"', page.text)]


def next_link(page):
    """The address of the list's "Next page" link."""
    return re.search(r'rel="next" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")


# -- access ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    assert "/login?next=%2Fcustomers" in client.get("/customers", status=303).location


@pytest.mark.parametrize("url", ["/customers", "/customers/new", "/customers/widgets/mine"])
def test_user_without_customer_permissions_is_refused(login_as, factory, url):
    web = login_as(factory.user("nobody", role=None))
    web.get(url, status=403)


def test_pages_of_a_customer_outside_scope_are_404(login_as, org, make_customer):
    theirs = make_customer(org["other_rep"])
    web = login_as(org["rep"])
    for url in ("", "/edit"):
        web.get(f"/customers/{theirs.id}{url}", status=404)
    web.post_form(f"/customers/{theirs.id}/delete", status=404)
    web.get("/customers/999999", status=404)


# -- list -----------------------------------------------------------------------------


def test_empty_list_points_to_new_customer(login_as, org):
    page = login_as(org["rep"]).get("/customers")
    assert "No customers yet" in page.text
    assert 'href="/customers/new"' in page.text


def test_representative_lists_own_customers_manager_the_team(login_as, org, make_customer):
    mine = make_customer(org["rep"], "上海浦江精密机械有限公司")
    theirs = make_customer(org["other_rep"], "上海申城物流股份有限公司")
    assert rows(login_as(org["rep"]).get("/customers")) == [mine.id]
    assert set(rows(login_as(org["manager"]).get("/customers"))) == {mine.id, theirs.id}
    assert set(rows(login_as(org["agent"]).get("/customers"))) == {mine.id, theirs.id}


def test_search_by_name_code_and_phone_prefix(login_as, org, make_customer):
    first = make_customer(org["rep"], "浦江精密机械", code="C2026000101", phone="+8613812345678")
    second = make_customer(org["rep"], "申城物流", code="C2026000202", phone="+862164502211")
    web = login_as(org["rep"])
    assert rows(web.get("/customers", params={"q": "浦江"})) == [first.id]
    assert rows(web.get("/customers", params={"q": "c2026000202"})) == [second.id]
    assert rows(web.get("/customers", params={"q": "138 1234"})) == [first.id]
    assert rows(web.get("/customers", params={"q": "021-6450"})) == [second.id]
    page = web.get("/customers", params={"q": "不存在"})
    assert rows(page) == []
    assert "No customers match these filters" in page.text


def test_filters_show_removable_chips(login_as, org, make_customer):
    active = make_customer(org["rep"], "甲公司", status="active", province_code="31")
    make_customer(org["rep"], "乙公司", status="potential", province_code="44")
    web = login_as(org["rep"])
    page = web.get("/customers", params={"status": "active", "province_code": "31"})
    assert rows(page) == [active.id]
    assert "Status: Active" in page.text
    assert "Province: 上海市" in page.text
    assert 'href="/customers?province_code=31"' in page.text  # removes the status filter
    # values that are not allowed are ignored rather than failing
    assert len(rows(web.get("/customers", params={"status": "nonsense", "owner_id": "x"}))) == 2


def test_owner_filter_offers_the_people_in_scope(login_as, org, make_customer):
    make_customer(org["other_rep"])
    page = login_as(org["manager"]).get("/customers", params={"owner_id": org["other_rep"].id})
    assert len(rows(page)) == 1
    assert "王磊" in page.text
    rep_page = login_as(org["rep"]).get("/customers")
    assert "王磊" not in rep_page.text


def test_keyset_pages_without_counting(login_as, org, make_customer):
    made = [make_customer(org["rep"], f"客户{number:03d}") for number in range(55)]
    web = login_as(org["rep"])
    first = web.get("/customers")
    assert rows(first) == [customer.id for customer in reversed(made)][:50]
    assert "55 customers" in first.text  # a capped count, never a full one
    second = web.get(next_link(first))
    assert rows(second) == [customer.id for customer in reversed(made)][50:]
    assert 'rel="next"' not in second.text
    assert "First page" in second.text


def test_sorting_by_name_both_ways(login_as, org, make_customer):
    b = make_customer(org["rep"], "B company")
    a = make_customer(org["rep"], "A company")
    c = make_customer(org["rep"], "C company")
    web = login_as(org["rep"])
    assert rows(web.get("/customers", params={"sort": "name"})) == [a.id, b.id, c.id]
    assert rows(web.get("/customers", params={"sort": "-name"})) == [c.id, b.id, a.id]


def test_a_garbled_cursor_shows_the_first_page(login_as, org, make_customer):
    customer = make_customer(org["rep"])
    page = login_as(org["rep"]).get("/customers", params={"cursor": "garbage"})
    assert rows(page) == [customer.id]
    assert "no longer available" in page.text


# -- detail ---------------------------------------------------------------------------


def test_detail_shows_key_properties_and_buttons_by_scope(login_as, factory, org, make_customer):
    customer = make_customer(
        org["rep"],
        "上海浦江精密机械有限公司",
        province_code="31",
        city_code="3101",
        district_code="310115",
        phone="+862158881234",
        level="major",
    )
    page = login_as(org["rep"]).get(f"/customers/{customer.id}")
    assert "上海市 · 浦东新区" in page.text
    assert "021 5888 1234" in page.text
    assert "Major account" in page.text
    assert f"/customers/{customer.id}/edit" in page.text
    assert f"/customers/{customer.id}/delete" not in page.text  # representatives do not delete
    agent_page = login_as(org["agent"]).get(f"/customers/{customer.id}")
    assert f"/customers/{customer.id}/edit" in agent_page.text  # the status is theirs to change
    analyst_page = login_as(factory.user("analyst", role="analyst")).get(
        f"/customers/{customer.id}"
    )
    assert f"/customers/{customer.id}/edit" not in analyst_page.text


def test_detail_in_chinese(login_as, org, make_customer):
    customer = make_customer(org["rep"])
    page = login_as(org["rep"]).get(
        f"/customers/{customer.id}", headers={"Accept-Language": "zh-CN"}
    )
    assert 'lang="zh-CN"' in page.text


# -- create ---------------------------------------------------------------------------


def customer_form(**values):
    base = {
        "name": "苏州工业园区纳米科技有限公司",
        "kind": "company",
        "level": "normal",
        "status": "potential",
        "province_code": "",
        "city_code": "",
        "district_code": "",
    }
    base.update(values)
    return base


def test_create_numbers_the_customer_and_takes_the_owners_team(login_as, org, dbsession, clock):
    web = login_as(org["rep"])
    form = web.get("/customers/new")
    assert f'<option selected value="{org["rep"].id}">' in form.text
    response = web.post_form(
        "/customers/new",
        customer_form(
            owner_id=org["rep"].id,
            province_code="32",
            city_code="3205",
            district_code="320505",
            phone="0512 6280 1234",
        ),
        status=303,
    )
    customer = dbsession.scalars(select(Customer)).one()
    assert response.location.endswith(f"/customers/{customer.id}")
    assert customer.code == "C2026000001"
    assert customer.team_id == org["east"].id
    assert customer.phone == "+8651262801234"
    assert customer.created_by_id == org["rep"].id
    second = customer_form(owner_id=org["rep"].id, name="苏州纳米新材料有限公司")
    web.post_form("/customers/new", second, status=303)
    assert {c.code for c in dbsession.scalars(select(Customer))} == {"C2026000001", "C2026000002"}


def test_create_refuses_bad_input_and_saves_nothing(login_as, org, dbsession, make_customer):
    make_customer(org["rep"], code="C2026000777")
    web = login_as(org["rep"])
    cases = [
        (customer_form(owner_id=org["rep"].id, name=""), "This field is required."),
        (customer_form(owner_id=org["rep"].id, phone="12"), "Enter a phone number"),
        (customer_form(owner_id=org["rep"].id, email="nobody"), "Enter an e-mail address"),
        (customer_form(owner_id=org["rep"].id, code="c2026000777"), "already has this code"),
        (customer_form(owner_id=org["rep"].id, code="坏 码"), "Use letters, digits"),
        (
            customer_form(owner_id=org["rep"].id, province_code="31", city_code="3205"),
            "Not a valid choice",
        ),
        (customer_form(owner_id=org["other_rep"].id), "Not a valid choice"),
    ]
    for values, message in cases:
        page = web.post_form("/customers/new", values, status=200)
        assert message in page.text, message
    assert dbsession.scalars(select(Customer.code)).all() == ["C2026000777"]


def test_manager_assigns_a_team_member(login_as, org, dbsession):
    web = login_as(org["manager"])
    web.post_form("/customers/new", customer_form(owner_id=org["other_rep"].id), status=303)
    customer = dbsession.scalars(select(Customer)).one()
    assert (customer.owner_id, customer.team_id) == (org["other_rep"].id, org["east"].id)


def test_region_editor_cannot_move_a_customer_out_of_their_regions(
    login_as, factory, dbsession, org, make_customer
):
    role = Role(key=None, name="Regional editor")
    role.grants = [
        RoleGrant(permission=f"customers.customer.{action}", scope="region")
        for action in ("view", "edit")
    ]
    dbsession.add(role)
    regional = factory.user("regional", role=None, regions=("44",))
    regional.roles = [role]
    dbsession.flush()
    customer = make_customer(org["rep"], "深圳南山智能硬件有限公司", province_code="44")
    web = login_as(regional)
    values = customer_form(
        name=customer.name, owner_id=org["rep"].id, province_code="31", version=customer.version
    )
    page = web.post_form(f"/customers/{customer.id}/edit", values, status=200)
    assert "outside your responsibility" in page.text
    dbsession.refresh(customer)
    assert (customer.province_code, customer.version) == ("44", 1)


def test_a_code_taken_by_a_concurrent_save_is_renumbered(login_as, org, dbsession, monkeypatch):
    import plugins.customers.service as service

    taken = service.Customer(code="C2026000001", name="先到的客户", owner=org["rep"], custom={})
    dbsession.add(taken)
    dbsession.flush()
    real = service.next_code
    calls = []

    def racing(session, year):
        calls.append(year)
        return "C2026000001" if len(calls) == 1 else real(session, year)

    monkeypatch.setattr(service, "next_code", racing)
    login_as(org["rep"]).post_form(
        "/customers/new", customer_form(owner_id=org["rep"].id), status=303
    )
    assert sorted(dbsession.scalars(select(Customer.code))) == ["C2026000001", "C2026000002"]


# -- edit -----------------------------------------------------------------------------


def edit_values(customer, **changes):
    values = {column: getattr(customer, column) or "" for column in FORM_COLUMNS}
    values["version"] = customer.version
    values.update(changes)
    return values


def test_edit_saves_and_audits(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"], status="potential")
    web = login_as(org["rep"])
    assert 'name="version"' in web.get(f"/customers/{customer.id}/edit").text
    web.post_form(
        f"/customers/{customer.id}/edit", edit_values(customer, status="active"), status=303
    )
    dbsession.refresh(customer)
    assert (customer.status, customer.version, customer.updated_by_id) == (
        "active",
        2,
        org["rep"].id,
    )


def test_stale_edit_is_refused_and_shows_what_changed(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"], "旧名称")
    stale = edit_values(customer, name="我的新名称")
    customer.name = "经理改的名称"
    customer.updated_by_id = org["manager"].id
    dbsession.flush()
    page = login_as(org["rep"]).post_form(f"/customers/{customer.id}/edit", stale, status=200)
    assert "This was changed by Manager" in page.text
    assert "经理改的名称" in page.text  # the value saved meanwhile
    assert f'name="version" type="hidden" value="{customer.version}"' in page.text
    dbsession.refresh(customer)
    assert customer.name == "经理改的名称"


# -- delete and restore ---------------------------------------------------------------


def test_delete_offers_undo_and_restore(login_as, org, dbsession, make_customer):
    customer = make_customer(org["other_rep"], "可删除的客户")
    web = login_as(org["manager"])
    response = web.post_form(f"/customers/{customer.id}/delete", status=303)
    assert response.location.endswith(f"/customers?undo={customer.id}")
    dbsession.refresh(customer)
    assert customer.deleted_at is not None
    page = response.follow()
    assert f'data-undo="{customer.id}"' in page.text
    assert rows(page) == []
    web.get(f"/customers/{customer.id}", status=404)
    deleted = web.get("/customers", params={"deleted": "1"})
    assert rows(deleted) == [customer.id]
    web.post_form(f"/customers/{customer.id}/restore", status=303)
    dbsession.refresh(customer)
    assert customer.deleted_at is None


def test_representatives_cannot_delete_or_see_deleted(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    web.post_form(f"/customers/{customer.id}/delete", status=404)
    customer.deleted_at = customer.created_at
    dbsession.flush()
    web.post_form(f"/customers/{customer.id}/restore", status=404)
    assert rows(web.get("/customers", params={"deleted": "1"})) == []


def test_delete_is_post_only(login_as, org, make_customer):
    customer = make_customer(org["other_rep"])
    login_as(org["manager"]).get(f"/customers/{customer.id}/delete", status=404)


# -- home card ------------------------------------------------------------------------


def test_home_card_counts_by_status_within_scope(login_as, org, make_customer):
    make_customer(org["rep"], status="active")
    make_customer(org["rep"], status="active")
    make_customer(org["other_rep"], status="active")
    web = login_as(org["rep"])
    assert "/customers/widgets/mine" in web.get("/").text
    card = web.get("/customers/widgets/mine")
    active = re.search(r'data-status="active">\s*<span[^>]*>([^<]+)<', card.text).group(1)
    assert active.strip() == "2"


# -- custom fields --------------------------------------------------------------------


def test_custom_fields_in_form_list_and_detail(login_as, org, dbsession):
    from core.customfields.service import create_definition
    from plugins.customers.hooks import guanxi_record_types

    create_definition(
        dbsession,
        guanxi_record_types()[0],
        key="industry",
        field_type="text",
        labels={"en": "Industry", "zh_Hans": "行业"},
        required=True,
        show_in_list=True,
    )
    web = login_as(org["rep"])
    assert 'name="cf_industry"' in web.get("/customers/new").text
    page = web.post_form("/customers/new", customer_form(owner_id=org["rep"].id), status=200)
    assert "This field is required." in page.text
    web.post_form(
        "/customers/new", customer_form(owner_id=org["rep"].id, cf_industry="精密制造"), status=303
    )
    customer = dbsession.scalars(select(Customer)).one()
    assert customer.custom == {"industry": "精密制造"}
    listing = web.get("/customers", headers={"Accept-Language": "zh-CN"})
    assert "行业" in listing.text and "精密制造" in listing.text
    assert "精密制造" in web.get(f"/customers/{customer.id}").text


@pytest.mark.parametrize(
    "query", ["\x00", "a\x00b", "\U0010ffff", "%", "_", "'; DROP TABLE customers; --"]
)
def test_odd_searches_find_nothing_calmly(login_as, org, make_customer, query):
    make_customer(org["rep"], "普通公司")
    web = login_as(org["rep"])
    assert rows(web.get("/customers", params={"q": query})) == []
    web.get("/search", params={"q": query})
