"""What the customers module contributes elsewhere: search, menu, permissions."""

from __future__ import annotations


def test_global_search_finds_customers_in_scope_only(login_as, org, make_customer):
    mine = make_customer(org["rep"], "浦江精密机械", phone="+8613812345678")
    make_customer(org["other_rep"], "浦江物流")
    web = login_as(org["rep"])
    page = web.get("/search", params={"q": "浦江"})
    assert f"/customers/{mine.id}" in page.text
    assert "浦江物流" not in page.text
    assert f"/customers/{mine.id}" in web.get("/search", params={"q": "13812345678"}).text


def test_deleted_customers_are_not_found(login_as, org, make_customer, clock):
    gone = make_customer(org["rep"], "已删除公司", deleted_at=clock.now)
    page = login_as(org["rep"]).get("/search", params={"q": "已删除"})
    assert f"/customers/{gone.id}" not in page.text


def test_menu_entry_needs_the_view_permission(login_as, factory, org):
    assert 'data-menu="customers"' in login_as(org["rep"]).get("/").text
    assert 'data-menu="customers"' not in login_as(factory.user("nobody", role=None)).get("/").text


def test_default_grants_follow_the_roles(login_as, org, dbsession):
    from core.security.identity import load_grants

    def scopes(user):
        grants = load_grants(dbsession, user.id, frozenset({"customers"}))
        return {name: set(s) for name, s in grants.items() if name.startswith("customers.")}

    def customer(*actions, scope):
        return {f"customers.customer.{action}": {scope} for action in actions}

    manager, rep, agent = scopes(org["manager"]), scopes(org["rep"]), scopes(org["agent"])
    assert customer("view", "create", "edit", "edit_status", "delete", scope="team").items() <= (
        manager.items()
    )
    assert manager["customers.tag.manage"] == {"all"}
    assert customer("view", "create", "edit", "edit_status", scope="own").items() <= rep.items()
    assert customer("view", "edit_status", scope="region").items() <= agent.items()
    # Representatives neither delete nor transfer; agents change the status only.
    assert not {"customers.customer.delete", "customers.customer.transfer"} & rep.keys()
    assert not {"customers.customer.edit", "customers.customer.create"} & agent.keys()
    assert "customers.customer.merge" not in manager
