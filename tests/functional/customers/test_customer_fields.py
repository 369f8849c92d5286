"""The full customer record: dictionary fields, ratings, identifiers, masked sensitive values."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.security.tokens import create_token
from plugins.customers.forms import COLUMNS
from plugins.customers.models import Customer

ID_NUMBER = "440305199003071236"
BANK_ACCOUNT = "6222021234567890128"
#: What users who may reveal them see; everybody else sees only stars.
ID_MASKED = "440305********1236"
BANK_MASKED = "622202*********0128"
API = "/api/v1/customers"


def new_customer(**values):
    base = {
        "name": "张伟",
        "kind": "individual",
        "level": "normal",
        "status": "potential",
        "province_code": "",
        "city_code": "",
        "district_code": "",
    }
    base.update(values)
    return base


def edit_values(customer, **changes):
    values = {column: getattr(customer, column) or "" for column in COLUMNS}
    values.update(version=customer.version, id_number="", bank_account="")
    values.update(changes)
    return values


def errors(page):
    return re.findall(
        r'<div id="([a-z_]+)-errors" class="invalid-feedback d-block"><div>', page.text
    )


@pytest.fixture
def person(org, make_customer):
    """An individual customer of the representative, with an ID number and a bank account."""
    return make_customer(
        org["rep"],
        "张伟",
        kind="individual",
        level="key_prospect",
        industry="finance",
        credit_rating=4,
        satisfaction=2,
        id_number=ID_NUMBER,
        bank_name="招商银行",
        bank_account=BANK_ACCOUNT,
    )


# -- the form -----------------------------------------------------------------------------


def test_create_saves_every_field_in_its_stored_form(login_as, org, dbsession):
    web = login_as(org["rep"])
    form = web.get("/customers/new")
    assert '<option value="manufacturing">Manufacturing</option>' in form.text
    web.post_form(
        "/customers/new",
        new_customer(
            owner_id=org["rep"].id,
            industry="retail",
            size="21-100",
            source="referral",
            credit_rating="5",
            satisfaction="3",
            address="上海市浦东新区世纪大道 100 号",
            website="ｗｗｗ．Example．com",
            credit_code="９１３５０１００ｍ０００１００ｙ４３",
            id_number="11010519491231002x",
            bank_name="中国工商银行",
            bank_account="6222 0212 3456 7890 128",
        ),
        status=303,
    )
    customer = dbsession.scalars(select(Customer)).one()
    assert (customer.industry, customer.size, customer.source) == ("retail", "21-100", "referral")
    assert (customer.credit_rating, customer.satisfaction) == (5, 3)
    assert customer.website == "https://www.example.com"
    assert customer.credit_code == "91350100M000100Y43"
    assert customer.id_number == "11010519491231002X"
    assert customer.bank_account == BANK_ACCOUNT


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("credit_code", "91350100M000100Y44", "does not match the others"),
        ("credit_code", "12345", "has 18 characters"),
        ("id_number", "440305199003071237", "does not match the others"),
        ("id_number", "440305199002301236", "not a possible date of birth"),
        ("id_number", "990305199003071236", "not a region code"),
        ("bank_account", "1234", "8 to 34 digits"),
        ("website", "javascript:alert(1)", "Enter a website address"),
        ("credit_rating", "6", "Not a valid choice"),
        ("satisfaction", "0", "Not a valid choice"),
        ("industry", "mining", "Not a valid choice"),
        ("level", "vip", "Not a valid choice"),
    ],
)
def test_bad_values_are_explained_and_nothing_is_saved(
    login_as, org, dbsession, field, value, message
):
    web = login_as(org["rep"])
    page = web.post_form(
        "/customers/new", new_customer(owner_id=org["rep"].id, **{field: value}), status=200
    )
    assert errors(page) == [field]
    assert message in page.text
    assert dbsession.scalars(select(Customer)).all() == []


def test_a_company_has_no_id_number_or_bank_details(login_as, org, dbsession):
    login_as(org["rep"]).post_form(
        "/customers/new",
        new_customer(
            owner_id=org["rep"].id,
            kind="company",
            id_number="not checked for companies",
            bank_name="招商银行",
            bank_account=BANK_ACCOUNT,
        ),
        status=303,
    )
    customer = dbsession.scalars(select(Customer)).one()
    assert (customer.id_number, customer.bank_name, customer.bank_account) == (None, None, None)


# -- the page -----------------------------------------------------------------------------


def test_header_shows_the_key_facts_in_the_users_language(login_as, org, person):
    page = login_as(org["rep"]).get(f"/customers/{person.id}", headers={"Accept-Language": "zh-CN"})
    facts = page.text[
        page.text.index("data-facts") : page.text.index("</ul>", page.text.index("data-facts"))
    ]
    assert "重点开发客户" in facts
    assert "金融" in facts
    assert "李强" in facts
    assert 'data-fact="credit_rating"' in facts and 'data-fact="satisfaction"' in facts
    assert "★★★★" in facts and "☆" in facts


def test_sensitive_values_are_masked_for_everybody_without_the_permission(login_as, org, person):
    page = login_as(org["rep"]).get(f"/customers/{person.id}")
    assert ID_NUMBER not in page.text and BANK_ACCOUNT not in page.text
    assert "*" * len(ID_NUMBER) in page.text
    assert "*" * len(BANK_ACCOUNT) in page.text
    assert "/reveal" not in page.text


def test_an_administrator_sees_them_partly_masked_and_may_reveal_them(
    login_as, admin, person, dbsession
):
    web = login_as(admin)
    page = web.get(f"/customers/{person.id}")
    assert ID_NUMBER not in page.text
    assert ID_MASKED in page.text and BANK_MASKED in page.text
    assert f'hx-post="/customers/{person.id}/reveal"' in page.text
    shown = web.post_form(
        f"/customers/{person.id}/reveal", {"field": "id_number"}, headers={"HX-Request": "true"}
    )
    assert f'data-revealed="id_number">{ID_NUMBER}</span>' in shown.text
    event = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "unmask").order_by(AuditEvent.id.desc())
    ).first()
    assert (event.record_type, event.record_id, event.actor_user_id) == (
        "customer",
        str(person.id),
        admin.id,
    )
    assert event.changes == {"field": "id_number"}


def test_reveal_is_refused_without_the_permission_outside_scope_and_for_other_fields(
    login_as, org, admin, person, make_customer, dbsession
):
    login_as(org["rep"]).post_form(
        f"/customers/{person.id}/reveal", {"field": "id_number"}, status=403
    )
    login_as(org["other_rep"]).post_form(
        f"/customers/{person.id}/reveal", {"field": "id_number"}, status=404
    )
    web = login_as(admin)
    web.post_form(f"/customers/{person.id}/reveal", {"field": "name"}, status=404)
    web.post_form("/customers/999999/reveal", {"field": "id_number"}, status=404)
    count = select(AuditEvent.id).where(AuditEvent.action == "unmask")
    assert dbsession.scalars(count).all() == []


def test_the_edit_form_never_shows_sensitive_values_and_blank_keeps_them(
    login_as, org, admin, person, dbsession
):
    for user, hint in ((org["rep"], "*" * len(ID_NUMBER)), (admin, ID_MASKED)):
        page = login_as(user).get(f"/customers/{person.id}/edit")
        assert ID_NUMBER not in page.text and BANK_ACCOUNT not in page.text
        assert f'placeholder="{hint}"' in page.text
    web = login_as(org["rep"])
    web.post_form(f"/customers/{person.id}/edit", edit_values(person, notes="见过面"), status=303)
    dbsession.refresh(person)
    assert (person.notes, person.id_number, person.bank_account) == (
        "见过面",
        ID_NUMBER,
        BANK_ACCOUNT,
    )


def test_a_user_who_cannot_read_them_may_overwrite_them_and_the_trail_has_no_clear_value(
    login_as, org, person, dbsession
):
    login_as(org["rep"]).post_form(
        f"/customers/{person.id}/edit",
        edit_values(person, id_number="11010519491231002X", bank_account="12345678"),
        status=303,
    )
    dbsession.refresh(person)
    assert (person.id_number, person.bank_account) == ("11010519491231002X", "12345678")
    events = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "customers", AuditEvent.record_id == str(person.id)
        )
    ).all()
    assert [event.action for event in events] == ["create", "update"]
    assert events[-1].changes["id_number"] == ["[redacted]", "[redacted]"]
    trail = repr([event.changes for event in events])
    for secret in (ID_NUMBER, BANK_ACCOUNT, "11010519491231002X", "12345678"):
        assert secret not in trail


def test_a_retired_dictionary_value_stays_through_an_edit(login_as, org, person, dbsession):
    from plugins.customers.dictionaries import entries, set_active

    finance = next(e for e in entries(dbsession, "industry") if e.code == "finance")
    set_active(dbsession, finance, False)
    web = login_as(org["rep"])
    assert '<option value="finance">' not in web.get("/customers/new").text
    assert '<option selected value="finance">' in web.get(f"/customers/{person.id}/edit").text
    web.post_form(f"/customers/{person.id}/edit", edit_values(person, notes="改"), status=303)
    dbsession.refresh(person)
    assert (person.industry, person.notes) == ("finance", "改")
    assert 'data-property="industry">Finance</dd>' in web.get(f"/customers/{person.id}").text


# -- the API ------------------------------------------------------------------------------


def token(dbsession, user, *actions):
    permissions = [f"customers.customer.{action}" for action in ("view", "edit", *actions)]
    return {"Authorization": f"Bearer {create_token(dbsession, user, 't', permissions)[1]}"}


def test_api_masks_sensitive_values_and_an_echo_of_the_mask_changes_nothing(
    client, dbsession, org, admin, person
):
    rep = token(dbsession, org["rep"])
    body = client.get(f"{API}/{person.id}", headers=rep).json
    assert (body["id_number"], body["bank_account"]) == ("*" * 18, "*" * 19)
    assert (body["industry"], body["credit_rating"], body["satisfaction"]) == ("finance", 4, 2)
    listed = client.get(API, headers=token(dbsession, admin, "view_sensitive")).json["items"]
    assert [item["id_number"] for item in listed] == [ID_MASKED]
    saved = client.patch_json(
        f"{API}/{person.id}",
        {**{name: body[name] for name in COLUMNS}, "notes": "API"},
        headers={**rep, "If-Match": f'"{body["version"]}"'},
    ).json
    dbsession.refresh(person)
    assert (saved["notes"], person.id_number, person.bank_account) == (
        "API",
        ID_NUMBER,
        BANK_ACCOUNT,
    )


def test_api_validates_the_new_fields(client, dbsession, org, person):
    rep = token(dbsession, org["rep"])
    problem = client.patch_json(
        f"{API}/{person.id}",
        {
            "version": person.version,
            "credit_rating": "5",
            "satisfaction": 9,
            "credit_code": "91350100M000100Y44",
            "website": "ftp://example.com",
            "size": "huge",
        },
        headers=rep,
        status=422,
    ).json
    assert set(problem["errors"]) == {
        "credit_rating",
    }
    problem = client.patch_json(
        f"{API}/{person.id}",
        {
            "version": person.version,
            "satisfaction": 9,
            "credit_code": "91350100M000100Y44",
            "website": "ftp://example.com",
            "size": "huge",
            "id_number": "440305199003071237",
        },
        headers=rep,
        status=422,
    ).json
    assert set(problem["errors"]) == {
        "satisfaction",
        "credit_code",
        "website",
        "size",
        "id_number",
    }
    saved = client.patch_json(
        f"{API}/{person.id}",
        {"version": person.version, "credit_rating": None, "website": "gx.example.cn"},
        headers=rep,
    ).json
    assert (saved["credit_rating"], saved["website"]) == (None, "https://gx.example.cn")


def test_api_reveal_is_audited_and_needs_the_permission(client, dbsession, org, admin, person):
    url = f"{API}/{person.id}/reveal"
    body = client.post_json(
        url, {"field": "bank_account"}, headers=token(dbsession, admin, "view_sensitive")
    ).json
    assert body == {"field": "bank_account", "value": BANK_ACCOUNT}
    assert dbsession.scalars(
        select(AuditEvent.summary).where(AuditEvent.action == "unmask")
    ).all() == ["bank_account"]
    client.post_json(
        url, {"field": "bank_account"}, headers=token(dbsession, org["rep"]), status=403
    )
    client.post_json(
        url, {"field": "name"}, headers=token(dbsession, admin, "view_sensitive"), status=422
    )
    client.post_json(
        f"{API}/999999/reveal",
        {"field": "bank_account"},
        headers=token(dbsession, admin, "view_sensitive"),
        status=404,
    )


def test_api_lists_the_dictionaries_in_the_callers_language(client, dbsession, org):
    items = client.get(
        "/api/v1/customer-dictionaries",
        headers={**token(dbsession, org["rep"]), "Accept-Language": "zh-CN"},
    ).json["items"]
    levels = [(item["code"], item["label"]) for item in items if item["kind"] == "level"]
    assert levels[:2] == [("normal", "普通客户"), ("key_prospect", "重点开发客户")]
    assert {item["kind"] for item in items} == {"industry", "level", "size", "source"}


def test_read_only_sensitive_fields_stay_hidden_and_conflicts_show_them_masked(
    login_as, org, person, dbsession
):
    agent_page = login_as(org["agent"]).get(f"/customers/{person.id}/edit")
    assert ID_NUMBER not in agent_page.text and BANK_ACCOUNT not in agent_page.text
    seen = edit_values(person, notes="先改", id_number="310115197512310454")
    person.id_number = "11010519491231002X"
    dbsession.flush()
    page = login_as(org["rep"]).post_form(f"/customers/{person.id}/edit", seen, status=200)
    conflicts = page.text[page.text.index("data-conflicts") :]
    assert "ID number: ******************" in conflicts
    assert "11010519491231002X" not in page.text and ID_NUMBER not in page.text


def test_api_creates_with_the_first_offered_level_when_normal_is_retired(client, dbsession, org):
    from plugins.customers.dictionaries import entries, set_active

    set_active(dbsession, next(e for e in entries(dbsession, "level") if e.code == "normal"), False)
    created = client.post_json(
        API, {"name": "新客户"}, headers=token(dbsession, org["rep"], "create")
    ).json
    assert created["level"] == "key_prospect"
