"""Tag pages: Settings → Tags, the customer header's tag editor, and the customer form's tags."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from plugins.customers.models import Customer, Tag
from plugins.customers.tags import VIP, add_tags, create_tag, find_tag

HTMX = {"HX-Request": "true"}


def tag_named(dbsession, name):
    dbsession.expire_all()
    return find_tag(dbsession, name)


def tags_of(dbsession, customer):
    dbsession.expire_all()
    return [tag.name for tag in dbsession.get(Customer, customer.id).tags]


def badges(page):
    """The tag names shown as badges, in order."""
    return re.findall(r'data-tag="([^"]+)"', page.text)


def tag_count(dbsession):
    return dbsession.scalar(select(func.count()).select_from(Tag))


def customer_form(page):
    """The customer form of a create or edit page."""
    return next(form for form in page.forms.values() if "tags" in form.fields)


# -- Settings → Tags ------------------------------------------------------------------


def test_only_tag_managers_reach_the_settings_pages(login_as, org, dbsession):
    tag = create_tag(dbsession, "行业-制造业")
    rep = login_as(org["rep"])
    for url in ("/settings/tags", "/settings/tags/new", f"/settings/tags/{tag.id}/edit"):
        rep.get(url, status=403)
    rep.post_form(f"/settings/tags/{tag.id}/delete", status=403)
    rep.post_form("/settings/tags/new", {"name": "偷偷", "color": "red"}, status=403)
    assert tag_named(dbsession, "偷偷") is None
    manager = login_as(org["manager"])
    manager.get("/settings/tags/999999/edit", status=404)
    assert "行业-制造业" in badges(manager.get("/settings/tags"))


def test_the_list_groups_tags_and_counts_their_customers(
    login_as, admin, org, dbsession, make_customer
):
    steel = create_tag(dbsession, "行业-钢铁")
    create_tag(dbsession, "行业-纺织")
    customers = [make_customer(org["rep"], f"客户{i}") for i in range(3)]
    add_tags(dbsession, [c.id for c in customers], [steel.id])
    page = login_as(admin).get("/settings/tags")
    sections = page.html.select("section")
    titles = [section.h2.get_text(strip=True) for section in sections]
    assert titles == ["行业", "Without a group"]
    industry = sections[0]
    assert [b["data-tag"] for b in industry.select("[data-tag]")] == ["行业-纺织", "行业-钢铁"]
    counts = {
        row.select_one("[data-tag]")["data-tag"]: row.select_one("[data-count]").get_text(
            strip=True
        )
        for row in industry.select("tr[id]")
    }
    assert counts == {"行业-钢铁": "3", "行业-纺织": "0"}
    assert "System" in sections[1].get_text()


def test_create_cleans_the_name_and_refuses_duplicates(login_as, org, dbsession):
    web = login_as(org["manager"])
    web.post_form("/settings/tags/new", {"name": " 区域－华东 ", "color": "teal"}, status=303)
    tag = tag_named(dbsession, "区域-华东")
    assert (tag.group, tag.color, tag.is_system) == ("区域", "teal", False)
    before = tag_count(dbsession)
    page = web.post_form("/settings/tags/new", {"name": "ｖｉｐ", "color": "red"}, status=200)
    assert "A tag called VIP already exists." in page.text
    page = web.post_form("/settings/tags/new", {"name": "新", "color": "plaid"}, status=200)
    assert "Not a valid choice" in page.text
    assert tag_count(dbsession) == before


def test_system_tags_are_recoloured_but_keep_their_name(login_as, admin, dbsession):
    vip = tag_named(dbsession, VIP)
    web = login_as(admin)
    form = web.get(f"/settings/tags/{vip.id}/edit")
    assert "System tags keep their name" in form.text
    page = web.post_form(
        f"/settings/tags/{vip.id}/edit",
        {"name": "贵宾", "color": "pink", "version": vip.version},
        status=200,
    )
    assert "VIP is a system tag: it cannot be renamed, only recoloured." in page.text
    assert tag_named(dbsession, VIP).color == "yellow"
    web.post_form(
        f"/settings/tags/{vip.id}/edit",
        {"name": "VIP", "color": "pink", "version": vip.version},
        status=303,
    )
    assert tag_named(dbsession, VIP).color == "pink"
    page = web.post_form(f"/settings/tags/{vip.id}/delete", status=303).follow()
    assert "VIP is a system tag: it cannot be deleted." in page.text
    assert tag_named(dbsession, VIP) is not None
    assert "cannot be deleted" in web.get(f"/settings/tags/{vip.id}/delete").text


def test_a_stale_edit_is_refused(login_as, org, dbsession):
    tag = create_tag(dbsession, "旧名")
    web = login_as(org["manager"])
    stale = tag.version
    web.post_form(
        f"/settings/tags/{tag.id}/edit", {"name": "新名", "color": "red", "version": stale}
    )
    page = web.post_form(
        f"/settings/tags/{tag.id}/edit",
        {"name": "另名", "color": "green", "version": stale},
        status=200,
    )
    assert "review and save again" in page.text
    assert tag_named(dbsession, "新名").color == "red"


def test_delete_says_how_many_customers_carry_the_tag(login_as, org, dbsession, make_customer):
    tag = create_tag(dbsession, "展会-2026")
    first, second = make_customer(org["rep"], "甲"), make_customer(org["rep"], "乙")
    add_tags(dbsession, [first.id, second.id], [tag.id])
    web = login_as(org["manager"])
    confirm = web.get(f"/settings/tags/{tag.id}/delete")
    assert "2 customers carry this tag." in confirm.text
    assert tags_of(dbsession, first) == ["展会-2026"]
    web.post_form(f"/settings/tags/{tag.id}/delete", status=303)
    assert tag_named(dbsession, "展会-2026") is None
    assert tags_of(dbsession, first) == tags_of(dbsession, second) == []


def test_the_list_has_an_empty_state(login_as, admin, dbsession):
    dbsession.query(Tag).delete()
    dbsession.flush()
    page = login_as(admin).get("/settings/tags")
    assert "No tags yet" in page.text and 'href="/settings/tags/new"' in page.text


# -- the customer page ----------------------------------------------------------------


def test_the_header_shows_tags_and_the_editor_to_editors(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    add_tags(dbsession, [customer.id], [tag_named(dbsession, VIP).id])
    page = login_as(org["rep"]).get(f"/customers/{customer.id}")
    header = page.html.select_one("#customer-tags")
    assert [b["data-tag"] for b in header.select("[data-tag]")] == ["VIP"]
    assert "gx-tag-yellow" in str(header)
    assert header.select_one(f'a[href="/customers/{customer.id}/tags/edit"]')
    agent_page = login_as(org["agent"]).get(f"/customers/{customer.id}")
    assert badges(agent_page) == ["VIP"]
    assert "/tags/edit" not in agent_page.text


def test_tagging_inline_adds_removes_and_audits(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    vip = tag_named(dbsession, VIP)
    web = login_as(org["rep"])
    url = f"/customers/{customer.id}/tags"
    editor = web.get(url + "/edit", headers=HTMX)
    assert "<html" not in editor.text and "data-tag-editor" in editor.text
    fragment = web.post_form(url + "/add", {"tag_id": vip.id}, headers=HTMX, status=200)
    assert badges(fragment) == ["VIP"]
    fragment = web.post_form(url + "/add", {"name": "重点跟进"}, headers=HTMX, status=200)
    assert badges(fragment) == ["VIP", "重点跟进"]
    assert tags_of(dbsession, customer) == ["VIP", "重点跟进"]
    web.post_form(url + "/remove", {"tag_id": vip.id}, headers=HTMX, status=200)
    assert tags_of(dbsession, customer) == ["重点跟进"]
    changes = dbsession.scalars(
        select(AuditEvent.changes)
        .where(AuditEvent.record_type == "customers", AuditEvent.record_id == str(customer.id))
        .where(AuditEvent.action == "update")
        .order_by(AuditEvent.id)
    ).all()
    assert [c["tags"] for c in changes] == [
        [[], ["VIP"]],
        [["VIP"], ["VIP", "重点跟进"]],
        [["VIP", "重点跟进"], ["重点跟进"]],
    ]
    assert badges(web.get(url)) == ["重点跟进"]


def test_without_javascript_the_editor_is_a_page(login_as, org, dbsession, make_customer):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    page = web.get(f"/customers/{customer.id}/tags/edit")
    assert "<html" in page.text and "data-tag-editor" in page.text
    back = web.post_form(f"/customers/{customer.id}/tags/add", {"name": "不存在"}, status=303)
    assert back.location.endswith(f"/customers/{customer.id}/tags/edit")
    assert "There is no tag called 不存在." in back.follow().text
    assert tags_of(dbsession, customer) == []


def test_tagging_needs_edit_on_that_customer(login_as, org, factory, dbsession, make_customer):
    theirs = make_customer(org["other_rep"])
    vip = tag_named(dbsession, VIP)
    rep = login_as(org["rep"])
    url = f"/customers/{theirs.id}/tags"
    rep.get(url + "/edit", status=404)
    rep.get(url + "/suggest?name=V", status=404)
    rep.post_form(url + "/add", {"tag_id": vip.id}, status=404)
    agent = login_as(org["agent"])  # sees every customer, edits none: like any record out of reach
    agent.get(url + "/edit", status=404)
    agent.post_form(url + "/add", {"tag_id": vip.id}, status=404)
    agent.post_form(url + "/remove", {"tag_id": vip.id}, status=404)
    nobody = login_as(factory.user("nobody", role=None))
    nobody.get(url, status=404)
    assert tags_of(dbsession, theirs) == []


def test_the_typeahead_offers_matches_and_creation_to_managers(
    login_as, org, dbsession, make_customer
):
    customer = make_customer(org["rep"])
    create_tag(dbsession, "行业-制造业")
    add_tags(dbsession, [customer.id], [tag_named(dbsession, VIP).id])
    url = f"/customers/{customer.id}/tags/suggest"
    rep = login_as(org["rep"])
    offered = rep.get(url, {"name": "ｖｉ"}, headers=HTMX)
    assert "VIP" not in offered.text  # already carried
    offered = rep.get(url, {"name": "制造"}, headers=HTMX)
    assert "行业-制造业" in offered.text and "data-create-tag" not in offered.text
    assert "No tag matches" in rep.get(url, {"name": "航天"}, headers=HTMX).text
    manager = login_as(org["manager"])
    offered = manager.get(url, {"name": "航天"}, headers=HTMX)
    assert "data-create-tag" in offered.text
    rep.post_form(
        url.replace("suggest", "add"), {"name": "航天", "create": "1"}, headers=HTMX, status=200
    )
    assert tag_named(dbsession, "航天") is None
    manager.post_form(
        url.replace("suggest", "add"), {"name": "航天", "create": "1"}, headers=HTMX, status=200
    )
    assert tags_of(dbsession, customer) == ["VIP", "航天"]


# -- the customer form ----------------------------------------------------------------


def test_the_customer_form_sets_tags(login_as, org, dbsession):
    vip, key = tag_named(dbsession, VIP), tag_named(dbsession, "重点跟进")
    web = login_as(org["rep"])
    form = customer_form(web.get("/customers/new"))
    form["name"] = "杭州西湖茶业有限公司"
    form["tags"] = [str(vip.id), str(key.id)]
    detail = form.submit(status=303).follow()
    customer = dbsession.scalars(
        select(Customer).where(Customer.name == "杭州西湖茶业有限公司")
    ).one()
    assert badges(detail) == ["VIP", "重点跟进"]
    form = customer_form(web.get(f"/customers/{customer.id}/edit"))
    assert sorted(form["tags"].value) == sorted([str(vip.id), str(key.id)])
    form["tags"] = [str(key.id)]
    form.submit(status=303)
    assert tags_of(dbsession, customer) == ["重点跟进"]


@pytest.mark.parametrize("posted", [[], ["VIP"]])
def test_status_only_editors_cannot_change_tags(login_as, org, dbsession, make_customer, posted):
    customer = make_customer(org["rep"])
    add_tags(dbsession, [customer.id], [tag_named(dbsession, "重点跟进").id])
    web = login_as(org["agent"])
    page = web.get(f"/customers/{customer.id}/edit")
    form = customer_form(page)
    assert page.html.select_one("select[name=tags]").has_attr("disabled")
    form["status"] = "active"
    fields = dict(form.submit_fields())
    fields.pop("tags", None)
    values = [("tags", str(tag_named(dbsession, name).id)) for name in posted]
    web.post(f"/customers/{customer.id}/edit", [*fields.items(), *values], status=303)
    assert tags_of(dbsession, customer) == ["重点跟进"]
    dbsession.expire_all()
    assert dbsession.get(Customer, customer.id).status == "active"


# -- bulk actions on the list ---------------------------------------------------------


def run_bulk(web, action, ids, tag_ids, status=303):
    """Post the list's bulk form: ``action`` with the tags ``tag_ids`` on customers ``ids``."""
    data = [("csrf_token", web.csrf_token()), ("action", action)]
    data += [("id", str(customer_id)) for customer_id in ids]
    data += [(f"{action}.tag_id", str(tag_id)) for tag_id in tag_ids]
    return web.app.post("/customers/bulk", data, status=status)


def test_bulk_add_and_remove_tags_within_scope(login_as, org, dbsession, make_customer):
    mine = [make_customer(org["rep"], f"我的{n}") for n in range(2)]
    theirs = make_customer(org["other_rep"], "别人的")
    vip, key = tag_named(dbsession, VIP), tag_named(dbsession, "重点跟进")
    web = login_as(org["rep"])
    page = web.get("/customers")
    assert 'value="add_tags"' in page.text and 'value="remove_tags"' in page.text
    ids = [c.id for c in mine] + [theirs.id]  # the last one posted by hand
    run_bulk(web, "add_tags", ids, [vip.id, key.id])
    assert [tags_of(dbsession, c) for c in (*mine, theirs)] == [
        ["VIP", "重点跟进"],
        ["VIP", "重点跟进"],
        [],
    ]
    assert "Add tags: customers changed: 2." in web.get("/customers").text
    run_bulk(web, "remove_tags", ids, [vip.id])
    assert [tags_of(dbsession, c) for c in mine] == [["重点跟进"], ["重点跟进"]]
    events = dbsession.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.record_type == "customers",
            AuditEvent.record_id == str(mine[0].id),
            AuditEvent.action == "update",
        )
    ).all()
    assert [e["tags"] for e in events] == [
        [[], ["VIP", "重点跟进"]],
        [["VIP", "重点跟进"], ["重点跟进"]],
    ]
    run_bulk(web, "add_tags", ids, [])
    assert "Choose at least one tag." in web.get("/customers").text
    run_bulk(login_as(org["agent"]), "add_tags", [mine[0].id], [vip.id], status=403)
    assert tags_of(dbsession, mine[0]) == ["重点跟进"]
