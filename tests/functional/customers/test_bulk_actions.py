"""Bulk actions on the customer list: permissions, scope, confirmation, undo, audit."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.audit import AuditEvent
from core.security.models import Role, RoleGrant
from plugins.customers import bulk
from plugins.customers.models import Customer
from plugins.customers.service import EDIT, VIEW


def run(web, action, ids=(), status=303, **fields):
    """Post the bulk form: ``action`` on the customers ``ids`` with the action's fields."""
    data = [("csrf_token", web.csrf_token()), ("action", action)]
    data += [("id", str(customer_id)) for customer_id in ids]
    data += [(name.replace("__", "."), value) for name, value in fields.items()]
    return web.app.post("/customers/bulk", data, status=status)


def fresh(dbsession, *customers):
    """The customers as stored now."""
    dbsession.expire_all()
    return [dbsession.get(Customer, customer.id) for customer in customers]


def audited(dbsession, customer):
    """The audit actions recorded for ``customer``."""
    query = select(AuditEvent.action).where(
        AuditEvent.record_type == "customers", AuditEvent.record_id == str(customer.id)
    )
    return list(dbsession.scalars(query))


def test_setting_a_field_changes_only_customers_in_scope(login_as, org, dbsession, make_customer):
    mine = [make_customer(org["rep"], f"我的{n}") for n in range(2)]
    theirs = make_customer(org["other_rep"], "别人的")
    web = login_as(org["rep"])
    ids = [c.id for c in mine] + [theirs.id]  # the last one posted by hand
    run(web, "set_level", ids, set_level__value="major")
    assert [c.level for c in fresh(dbsession, *mine, theirs)] == ["major", "major", "normal"]
    assert audited(dbsession, mine[0]).count("update") == 1
    assert audited(dbsession, theirs).count("update") == 0
    page = web.get("/customers")
    assert "Set level: customers changed: 2." in page.text
    assert "Left unchanged" not in page.text  # customers the user cannot see are not counted


def test_customers_seen_but_not_editable_are_left_alone_and_counted(
    login_as, factory, org, dbsession, make_customer
):
    role = Role(name="Reader", grants=[RoleGrant(permission=VIEW), RoleGrant(permission=EDIT)])
    role.grants[0].scope, role.grants[1].scope = "all", "own"
    reader = factory.user("reader", role=None, team=org["east"])
    reader.roles = [role]
    dbsession.flush()
    own = make_customer(reader, "自己的")
    seen = make_customer(org["rep"], "看得见的")
    web = login_as(reader)
    run(web, "set_level", [own.id, seen.id], set_level__value="major")
    assert [c.level for c in fresh(dbsession, own, seen)] == ["major", "normal"]
    assert "Not yours to change, so left as they were: 1." in web.get("/customers").text


def test_actions_without_their_permission_are_refused(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    web = login_as(org["agent"])  # service agents change the status only
    run(web, "set_level", [customer.id], status=403, set_level__value="major")
    run(web, "delete", [customer.id], status=403)
    run(web, "set_status", [customer.id], set_status__value="active")
    [stored] = fresh(dbsession, customer)
    assert (stored.level, stored.status, stored.deleted_at) == ("normal", "active", None)
    page = web.get("/customers")
    assert 'value="set_status"' in page.text and 'value="set_level"' not in page.text


def test_users_without_any_action_get_no_bulk_bar(login_as, factory, org, make_customer):
    make_customer(org["rep"])
    page = login_as(factory.user("analyst", role="analyst")).get("/customers")
    assert "data-bulk-row" not in page.text and "data-customer" in page.text


def test_bad_values_change_nothing(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    run(web, "set_level", [customer.id], set_level__value="emperor")
    assert "Choose a value from the list." in web.get("/customers").text
    run(web, "set_owner", [customer.id], set_owner__value=str(org["other_rep"].id))
    assert "Choose a value from the list." in web.get("/customers").text
    run(web, "no_such_action", [customer.id])
    assert "Choose an action." in web.get("/customers").text
    [stored] = fresh(dbsession, customer)
    assert (stored.level, stored.owner_id) == ("normal", org["rep"].id)


def test_manager_gives_customers_to_a_team_member(login_as, factory, org, dbsession, make_customer):
    customers = [make_customer(org["rep"], f"客户{n}") for n in range(2)]
    web = login_as(org["manager"])
    outsider = factory.user("outsider", role="sales_rep", team=factory.team("外部"))
    run(web, "set_owner", [c.id for c in customers], set_owner__value=str(outsider.id))
    assert {c.owner_id for c in fresh(dbsession, *customers)} == {org["rep"].id}
    run(web, "set_owner", [c.id for c in customers], set_owner__value=str(org["other_rep"].id))
    stored = fresh(dbsession, *customers)
    assert {(c.owner_id, c.team_id) for c in stored} == {(org["other_rep"].id, org["east"].id)}


def test_delete_asks_with_the_count_then_can_be_undone(
    login_as, factory, org, dbsession, make_customer
):
    team = [make_customer(org["rep"], f"客户{n}") for n in range(3)]
    elsewhere = make_customer(factory.user("far", role="sales_rep", team=factory.team("外部")))
    web = login_as(org["manager"])
    ids = [c.id for c in team] + [elsewhere.id]
    confirm = run(web, "delete", ids, status=200)
    assert "This applies to 3 customers." in confirm.text
    assert all(c.deleted_at is None for c in fresh(dbsession, *team))
    form = confirm.forms["gx-bulk-confirm"]
    assert form["confirmed"].value == "1"
    listing = web.get(form.submit(status=303).location)
    assert all(c.deleted_at is not None for c in fresh(dbsession, *team))
    assert fresh(dbsession, elsewhere)[0].deleted_at is None
    assert "Customers deleted: 3." in listing.text
    undo = next(f for f in listing.forms.values() if f.action == "/customers/bulk/undo")
    undo.submit(status=303)
    assert all(c.deleted_at is None for c in fresh(dbsession, *team))
    assert audited(dbsession, team[0]).count("update") == 2


def test_representatives_cannot_undo_someone_elses_delete(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    manager = login_as(org["manager"])
    confirm = run(manager, "delete", [customer.id], status=200)
    location = confirm.forms["gx-bulk-confirm"].submit(status=303).location
    stamp = re.search(r"undo_bulk=([^&]+)", location).group(1)
    rep = login_as(org["rep"])
    rep.post_form("/customers/bulk/undo", {"at": stamp}, status=403)
    assert fresh(dbsession, customer)[0].deleted_at is not None


def test_all_matching_customers_across_pages(login_as, org, dbsession, make_customer, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_SIZE", 7)
    active = [make_customer(org["rep"], f"活跃{n:02d}", status="active") for n in range(55)]
    other = make_customer(org["rep"], "潜在", status="potential")
    web = login_as(org["manager"])
    page = web.get("/customers", params={"status": "active"})
    assert "Select all 55 matching customers" in page.text
    data = [
        ("csrf_token", web.csrf_token()),
        ("action", "set_level"),
        ("set_level.value", "partner"),
        ("all", "1"),
        ("status", "active"),
        ("id", str(other.id)),  # ignored: "all matching" reads the filters
    ]
    web.app.post("/customers/bulk", data, status=303)
    assert {c.level for c in fresh(dbsession, *active)} == {"partner"}
    assert fresh(dbsession, other)[0].level == "normal"
    assert audited(dbsession, active[-1]).count("update") == 1


def test_bulk_routes_need_login_and_csrf(client, login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    assert "/login" in client.post_form("/customers/bulk", {"action": "delete"}).location
    web = login_as(org["manager"])
    web.app.post(
        "/customers/bulk", {"action": "delete", "id": customer.id, "confirmed": "1"}, status=400
    )
    assert fresh(dbsession, customer)[0].deleted_at is None
