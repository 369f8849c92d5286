"""Contacts of a customer: the primary flag, validation, scope, versions, audit, pages, API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.security.models import Role, RoleGrant
from core.security.tokens import create_token
from plugins.customers.models import Contact

CONTACT_PERMISSIONS = [
    "customers.customer.view",
    *(f"customers.contact.{action}" for action in ("view", "create", "edit", "delete")),
]


@pytest.fixture
def api(client, dbsession):
    """``api(user)`` → a client whose requests carry a token of ``user``."""

    class Api:
        def __init__(self, user):
            token = create_token(dbsession, user, "t", CONTACT_PERMISSIONS)[1]
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, url, **kw):
            return client.get(url, headers=self.headers, **kw)

        def post(self, url, body, **kw):
            return client.post_json(url, body, headers=self.headers, **kw)

        def patch(self, url, body, **kw):
            return client.patch_json(
                url, body, headers={**self.headers, **kw.pop("headers", {})}, **kw
            )

        def delete(self, url, **kw):
            return client.delete(url, headers=self.headers, **kw)

    return Api


def add(web, customer, name, status=303, **fields):
    """Add a contact through the page; the response."""
    return web.post_form(
        f"/customers/{customer.id}/contacts/new",
        {"name": name, "gender": "unspecified", **fields},
        status=status,
    )


def contacts(dbsession, customer):
    """``{name: (is_primary, live)}`` of the customer's contacts as stored."""
    dbsession.expire_all()
    rows = dbsession.scalars(select(Contact).where(Contact.customer_id == customer.id))
    return {c.name: (c.is_primary, c.deleted_at is None) for c in rows}


def contact_named(dbsession, name):
    dbsession.expire_all()
    return dbsession.scalars(select(Contact).where(Contact.name == name)).one()


# -- the primary flag -------------------------------------------------------------------


def test_first_contact_is_primary_and_the_flag_moves(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    add(web, customer, "王建国", mobile="138 1234 5678")
    add(web, customer, "李秀英")
    assert contacts(dbsession, customer) == {"王建国": (True, True), "李秀英": (False, True)}
    add(web, customer, "张伟", is_primary="y")
    assert contacts(dbsession, customer) == {
        "王建国": (False, True),
        "李秀英": (False, True),
        "张伟": (True, True),
    }
    li = contact_named(dbsession, "李秀英")
    web.post_form(f"/contacts/{li.id}/primary", {"version": li.version}, status=303)
    assert contacts(dbsession, customer)["李秀英"] == (True, True)
    assert contacts(dbsession, customer)["张伟"] == (False, True)
    detail = web.get(f"/customers/{customer.id}")
    assert "李秀英" in detail.text


def test_deleting_the_primary_promotes_the_next_oldest(
    login_as, org, make_customer, dbsession, clock
):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    for name in ("王建国", "李秀英", "张伟"):
        add(web, customer, name)
        clock.travel(minutes=1)
    first = contact_named(dbsession, "王建国")
    manager = login_as(org["manager"])
    manager.post_form(f"/contacts/{first.id}/delete", {"version": first.version}, status=303)
    assert contacts(dbsession, customer) == {
        "王建国": (False, False),
        "李秀英": (True, True),
        "张伟": (False, True),
    }
    tab = web.get(f"/customers/{customer.id}/contacts")
    assert "王建国" not in tab.text and "data-primary" in tab.text


def test_the_primary_flag_cannot_be_cleared(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    add(web, customer, "王建国")
    contact = contact_named(dbsession, "王建国")
    page = web.post_form(
        f"/contacts/{contact.id}/edit",
        {"name": "王建国", "gender": "male", "version": contact.version},
        status=200,
    )
    assert "make another contact primary instead" in page.text
    assert contacts(dbsession, customer) == {"王建国": (True, True)}


def test_the_database_refuses_a_second_primary(org, make_customer, dbsession):
    from sqlalchemy.exc import IntegrityError

    customer = make_customer(org["rep"])
    dbsession.add(Contact(customer_id=customer.id, name="A", is_primary=True, custom={}))
    dbsession.flush()
    with pytest.raises(IntegrityError), dbsession.begin_nested():
        dbsession.add(Contact(customer_id=customer.id, name="B", is_primary=True, custom={}))
        dbsession.flush()


# -- pages ------------------------------------------------------------------------------


def test_customer_page_has_a_contacts_tab_with_an_empty_state(login_as, org, make_customer):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    detail = web.get(f"/customers/{customer.id}")
    assert f'hx-get="/customers/{customer.id}/contacts"' in detail.text
    tab = web.get(f"/customers/{customer.id}/contacts")
    assert "No contacts yet — add the first one" in tab.text
    assert f"/customers/{customer.id}/contacts/new" in tab.text


def test_tab_lists_contacts_and_detail_shows_the_primary(login_as, org, make_customer):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    add(web, customer, "王建国", mobile="13812345678", email="wang@example.com", wechat_id="wjg88")
    tab = web.get(f"/customers/{customer.id}/contacts")
    assert "wang@example.com" in tab.text and "wjg88" in tab.text
    assert "138 1234 5678" in tab.text and "data-primary" in tab.text
    card = re.search(r"data-primary-contact>(.*?)</dd>", web.get(f"/customers/{customer.id}").text)
    assert "王建国" in card.group(1) and "138 1234 5678" in card.group(1)


def test_readers_see_contacts_without_actions(login_as, org, make_customer):
    customer = make_customer(org["rep"])
    add(login_as(org["rep"]), customer, "王建国")
    tab = login_as(org["agent"]).get(f"/customers/{customer.id}/contacts")
    assert "王建国" in tab.text and "/edit" not in tab.text and "/delete" not in tab.text
    login_as(org["agent"]).get(f"/customers/{customer.id}/contacts/new", status=404)


def test_mobile_is_stored_in_e164_and_bad_input_is_refused(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    page = add(web, customer, "王建国", status=200, mobile="12", email="not-an-address")
    assert "Enter a phone number such as 138 1234 5678." in page.text
    assert "Enter a valid e-mail address." in page.text
    assert contacts(dbsession, customer) == {}
    add(web, customer, "王建国", mobile="186 2000 3000")
    assert contact_named(dbsession, "王建国").mobile == "+8618620003000"


def test_contact_pages_of_another_reps_customer_are_404(login_as, org, make_customer, dbsession):
    theirs = make_customer(org["other_rep"])
    add(login_as(org["other_rep"]), theirs, "王建国")
    contact = contact_named(dbsession, "王建国")
    web = login_as(org["rep"])
    web.get(f"/customers/{theirs.id}/contacts", status=404)
    web.get(f"/customers/{theirs.id}/contacts/new", status=404)
    web.get(f"/contacts/{contact.id}/edit", status=404)
    add(web, theirs, "李秀英", status=404)
    web.post_form(f"/contacts/{contact.id}/edit", {"name": "X", "version": 1}, status=404)
    web.post_form(f"/contacts/{contact.id}/delete", {"version": 1}, status=404)
    web.post_form(f"/contacts/{contact.id}/primary", {"version": 1}, status=404)
    assert contacts(dbsession, theirs) == {"王建国": (True, True)}


def test_representatives_do_not_delete_contacts(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    rep = login_as(org["rep"])
    add(rep, customer, "王建国")
    contact = contact_named(dbsession, "王建国")
    tab = rep.get(f"/customers/{customer.id}/contacts")
    assert f"/contacts/{contact.id}/edit" in tab.text
    assert f"/contacts/{contact.id}/delete" not in tab.text
    rep.post_form(f"/contacts/{contact.id}/delete", {"version": contact.version}, status=404)
    assert contacts(dbsession, customer) == {"王建国": (True, True)}
    manager = login_as(org["manager"])
    assert f"/contacts/{contact.id}/delete" in manager.get(f"/customers/{customer.id}/contacts")
    manager.post_form(f"/contacts/{contact.id}/delete", {"version": contact.version}, status=303)
    assert contacts(dbsession, customer) == {"王建国": (False, False)}


def grant(dbsession, user, **scopes):
    """Give ``user`` a role holding ``{permission: scope}`` (dots written as ``__``)."""
    role = Role(name=f"role of {user.username}")
    role.grants = [
        RoleGrant(permission=name.replace("__", "."), scope=scope) for name, scope in scopes.items()
    ]
    user.roles = [role]
    dbsession.flush()


def test_contacts_need_both_the_customer_and_the_contact_scope(
    login_as, org, factory, make_customer, dbsession
):
    mixed = factory.user("mixed", role=None)
    # Views every customer, but reads and edits only the contacts of its own customers.
    grant(
        dbsession,
        mixed,
        customers__customer__view="all",
        customers__contact__view="own",
        customers__contact__edit="own",
    )
    mine = make_customer(mixed, name="我的客户")
    theirs = make_customer(org["other_rep"], name="别人的客户")
    for customer, name in ((mine, "王建国"), (theirs, "李秀英")):
        dbsession.add(Contact(customer_id=customer.id, name=name, is_primary=True, custom={}))
    dbsession.flush()
    web = login_as(mixed)
    tab = web.get(f"/customers/{mine.id}/contacts")
    assert "王建国" in tab.text and "/contacts/new" not in tab.text
    web.get(f"/customers/{theirs.id}/contacts", status=404)
    web.get(f"/contacts/{contact_named(dbsession, '李秀英').id}/edit", status=404)
    web.get(f"/contacts/{contact_named(dbsession, '王建国').id}/edit", status=200)
    web.get(f"/customers/{mine.id}/contacts/new", status=404)
    # A contact grant alone does not open the contacts of customers the user may not view.
    grant(dbsession, mixed, customers__contact__view="all")
    web.get(f"/customers/{mine.id}/contacts", status=404)


def test_contact_pages_need_a_login(client, org, make_customer):
    customer = make_customer(org["rep"])
    assert "/login" in client.get(f"/customers/{customer.id}/contacts", status=303).location


def test_a_stale_edit_is_refused(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    add(web, customer, "王建国")
    contact = contact_named(dbsession, "王建国")
    values = {"name": "王建国", "gender": "male", "is_primary": "y", "version": contact.version}
    web.post_form(f"/contacts/{contact.id}/edit", values, status=303)
    page = web.post_form(f"/contacts/{contact.id}/edit", {**values, "title": "总经理"}, status=200)
    assert "alert-danger" in page.text
    assert contact_named(dbsession, "王建国").title is None
    login_as(org["manager"]).post_form(f"/contacts/{contact.id}/delete", {"version": 1}, status=303)
    assert contacts(dbsession, customer) == {"王建国": (True, True)}


def test_after_saving_a_contact_the_customer_page_opens_at_its_contacts(
    login_as, org, make_customer
):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    response = add(web, customer, "王建国")
    assert response.location.endswith(f"/customers/{customer.id}?tab=customers.contacts")
    page = response.follow().html
    assert page.select_one("button.nav-link.active")["data-tab"] == "customers.contacts"
    assert page.select_one(".tab-pane.active")["hx-get"].endswith("/contacts")
    unknown = web.get(f"/customers/{customer.id}?tab=nonsense").html
    assert unknown.select_one("button.nav-link.active")["data-tab"] == "customers.overview"


def test_creating_a_contact_is_audited(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    add(login_as(org["rep"]), customer, "王建国")
    contact = contact_named(dbsession, "王建国")
    event = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "contacts", AuditEvent.record_id == str(contact.id)
        )
    ).one()
    assert event.action == "create" and event.actor_user_id == org["rep"].id


# -- API --------------------------------------------------------------------------------


def test_api_crud(api, org, make_customer):
    customer = make_customer(org["rep"])
    rep = api(org["rep"])
    many = f"/api/v1/customers/{customer.id}/contacts"
    created = rep.post(many, {"name": "王建国", "mobile": "13812345678"}, status=201).json
    assert created["is_primary"] is True and created["mobile"] == "+8613812345678"
    second = rep.post(many, {"name": "李秀英", "birthday": "1985-03-08"}, status=201).json
    assert second["is_primary"] is False and second["birthday"] == "1985-03-08"
    one = f"/api/v1/contacts/{second['id']}"
    assert rep.get(one).headers["ETag"] == '"1"'
    changed = rep.patch(one, {"is_primary": True, "title": "采购经理"}, headers={"If-Match": '"1"'})
    assert changed.json["is_primary"] is True and changed.json["title"] == "采购经理"
    items = rep.get(many).json["items"]
    assert [(c["name"], c["is_primary"]) for c in items] == [("李秀英", True), ("王建国", False)]
    rep.delete(one, status=404)  # representatives do not delete contacts
    api(org["manager"]).delete(one, status=204)
    rep.get(one, status=404)
    assert [(c["name"], c["is_primary"]) for c in rep.get(many).json["items"]] == [("王建国", True)]


def test_api_validation_and_versions(api, org, make_customer):
    customer = make_customer(org["rep"])
    rep = api(org["rep"])
    many = f"/api/v1/customers/{customer.id}/contacts"
    problem = rep.post(many, {"name": "王", "mobile": "12", "email": "x@"}, status=422).json
    assert set(problem["errors"]) == {"mobile", "email"}
    rep.post(many, {"colour": "red", "name": "王"}, status=422)
    contact = rep.post(many, {"name": "王建国"}, status=201).json
    one = f"/api/v1/contacts/{contact['id']}"
    rep.patch(one, {"title": "总经理"}, status=428)
    rep.patch(one, {"title": "总经理", "version": 1}, status=200)
    stale = rep.patch(one, {"title": "董事长", "version": 1}, status=409).json
    assert stale["current_version"] == 2
    assert rep.patch(one, {"is_primary": False, "version": 2}, status=422).json["errors"]
    assert rep.get(one).json["title"] == "总经理"


def test_api_is_scoped_to_the_customer(api, org, make_customer):
    theirs = make_customer(org["other_rep"])
    many = f"/api/v1/customers/{theirs.id}/contacts"
    contact = api(org["other_rep"]).post(many, {"name": "王建国"}, status=201).json
    rep = api(org["rep"])
    one = f"/api/v1/contacts/{contact['id']}"
    rep.get(many, status=404)
    rep.post(many, {"name": "李秀英"}, status=404)
    rep.get(one, status=404)
    rep.patch(one, {"name": "X", "version": 1}, status=404)
    rep.delete(one, status=404)
    assert api(org["manager"]).get(one).json["name"] == "王建国"
    reader = api(org["agent"])
    assert reader.get(one).json["name"] == "王建国"
    reader.patch(one, {"name": "X", "version": 1}, status=404)
