"""The access model end to end: every kind of user against every kind of customer.

Pages, forms and the API must agree with the scope each role grants: a record
outside the scope is absent from lists and answers 404, and a refused write
changes nothing.  Field groups: a service agent may change the status of any
customer in their regions (``edit_status``) but none of its other fields (403,
nothing saved).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.security.models import Role, RoleGrant
from core.security.tokens import create_token
from plugins.customers.forms import COLUMNS
from plugins.customers.models import Customer
from plugins.customers.service import assign_owner, next_code

CUSTOMERS = {
    # key: (owner, province, city)
    "east": ("rep_east", "31", "3101"),
    "east_in_guangdong": ("rep_east", "44", "4403"),
    "south": ("rep_south", "44", "4401"),
    "head_office": ("manager", "32", "3201"),
    "elsewhere": ("outsider", "11", None),
}
EVERY = set(CUSTOMERS)
TEAM = {"east", "east_in_guangdong", "south", "head_office"}
EAST = {"east", "east_in_guangdong"}
SOUTH_CHINA = {"east_in_guangdong", "south"}
#: user → (may view, may edit, may change the status, may delete)
EXPECTED = {
    "manager": (TEAM, TEAM, TEAM, TEAM),
    "rep_east": (EAST, EAST, EAST, set()),
    "rep_south": ({"south"}, {"south"}, {"south"}, set()),
    "agent": (SOUTH_CHINA, set(), SOUTH_CHINA, set()),
    "analyst": (EVERY, set(), set(), set()),
    "regional": ({"east_in_guangdong", "south"}, set(), set(), set()),
}
TOKEN_PERMISSIONS = [
    f"customers.customer.{a}" for a in ("view", "create", "edit", "edit_status", "delete")
]
#: The fields the customer form posts.
EDITABLE = COLUMNS


@pytest.fixture
def world(factory, dbsession):
    """The organisation of the module docstring and one customer of each kind."""
    sales = factory.team("销售部")
    east = factory.team("华东组", parent=sales)
    south = factory.team("华南组", parent=sales)
    regional_role = Role(name="Regional viewer")
    regional_role.grants = [RoleGrant(permission="customers.customer.view", scope="region")]
    dbsession.add(regional_role)
    users = {
        "manager": factory.user("manager", role="sales_manager", team=sales),
        "rep_east": factory.user("rep_east", role="sales_rep", team=east, regions=("31",)),
        "rep_south": factory.user("rep_south", role="sales_rep", team=south, regions=("44",)),
        "agent": factory.user("agent", role="service_agent", regions=("44",)),
        "analyst": factory.user("analyst", role="analyst"),
        "regional": factory.user("regional", role=None, regions=("44",)),
        "outsider": factory.user("outsider", role="sales_rep", team=factory.team("华北组")),
    }
    users["regional"].roles = [regional_role]
    customers = {}
    for key, (owner, province, city) in CUSTOMERS.items():
        customer = Customer(
            code=next_code(dbsession, dt.date(2026, 11, 22)),
            name=f"客户 {key}",
            province_code=province,
            city_code=city,
            custom={},
        )
        assign_owner(customer, users[owner])
        dbsession.add(customer)
        dbsession.flush()
        customers[key] = customer
    return users, customers


def state(dbsession, customer):
    """What a refused write must leave untouched."""
    dbsession.refresh(customer)
    return (customer.name, customer.notes, customer.version, customer.deleted_at, customer.status)


def form_values(customer, **changes):
    values = {name: getattr(customer, name) or "" for name in EDITABLE}
    return {**values, **changes, "version": customer.version}


def answer(key, allowed, reached, success):
    """``success`` where allowed, 403 where the record is reached but the field is not, else 404."""
    return success if key in allowed else 403 if key in reached else 404


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_access_matrix(username, world, login_as, client, dbsession):
    users, customers = world
    may_view, may_edit, may_status, may_delete = EXPECTED[username]
    reached = may_edit | may_status
    user = users[username]
    web = login_as(user)
    token = create_token(dbsession, user, "matrix", TOKEN_PERMISSIONS)[1]
    bearer = {"Authorization": f"Bearer {token}"}

    listed = {int(i) for i in re.findall(r'data-customer="(\d+)"', web.get("/customers").text)}
    assert listed == {customers[key].id for key in may_view}
    api_listed = {
        item["id"] for item in client.get("/api/v1/customers", headers=bearer).json["items"]
    }
    assert api_listed == listed

    for key, customer in customers.items():
        seen = 200 if key in may_view else 404
        web.get(f"/customers/{customer.id}", status=seen)
        client.get(f"/api/v1/customers/{customer.id}", headers=bearer, status=seen)

        before = state(dbsession, customer)
        edit = web.post_form(
            f"/customers/{customer.id}/edit",
            form_values(customer, notes=f"page edit by {username}"),
            status=answer(key, may_edit, reached, 303),
        )
        after = state(dbsession, customer)
        if key in may_edit:
            assert edit.location.endswith(f"/customers/{customer.id}")
            assert after[1] == f"page edit by {username}"
        else:
            assert after == before

        before = after
        client.patch_json(
            f"/api/v1/customers/{customer.id}",
            {"notes": f"api edit by {username}", "version": customer.version},
            headers=bearer,
            status=answer(key, may_edit, reached, 200),
        )
        after = state(dbsession, customer)
        assert (after[1] == f"api edit by {username}") == (key in may_edit)
        if key not in may_edit:
            assert after == before

        web.post_form(
            f"/customers/{customer.id}/edit",
            form_values(customer, status="active"),
            status=answer(key, may_status, reached, 303),
        )
        after = state(dbsession, customer)
        assert after[4] == ("active" if key in may_status else "potential")
        client.patch_json(
            f"/api/v1/customers/{customer.id}",
            {"status": "at_risk", "version": customer.version},
            headers=bearer,
            status=answer(key, may_status, reached, 200),
        )
        after = state(dbsession, customer)
        assert after[4] == ("at_risk" if key in may_status else "potential")

        before = after
        web.post_form(f"/customers/{customer.id}/delete", status=303 if key in may_delete else 404)
        after = state(dbsession, customer)
        assert (after[3] is not None) == (key in may_delete)
        if key not in may_delete:
            assert after == before


#: user → (may import customers, customers the list export holds)
TABULAR = {
    "manager": (True, TEAM),
    "rep_east": (True, None),  # representatives import their own, but do not export
    "rep_south": (True, None),
    "agent": (False, None),
    "analyst": (False, EVERY),
    "regional": (False, None),
}


@pytest.mark.parametrize("username", sorted(TABULAR))
def test_import_and_export_follow_the_roles(username, world, login_as):
    users, _customers = world
    may_import, exported = TABULAR[username]
    web = login_as(users[username])
    page = web.get("/imports").text
    assert ('value="customers"' in page) == may_import
    web.get("/imports/templates/customers", status=200 if may_import else 404)
    answer = web.post_form(
        "/exports", {"type": "customers", "format": "csv"}, status=200 if exported else 403
    )
    if exported:
        names = {line.split(",")[0] for line in answer.body.decode("utf-8-sig").splitlines()[1:]}
        assert names == {f"客户 {key}" for key in exported}
