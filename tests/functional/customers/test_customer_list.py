"""The customer list: filters, chips, sorting with cursors, capped count, columns, empty states."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

from sqlalchemy import event

from core.customfields.service import create_definition
from plugins.customers.dictionaries import add_entry
from plugins.customers.hooks import guanxi_record_types
from plugins.customers.tags import add_tags, create_tag

LABELS = {"en": "Robotics", "zh_Hans": "机器人", "zh_Hant": "機器人"}


def rows(page):
    """Customer ids of the list's rows, in order."""
    return [int(value) for value in re.findall(r'data-customer="(\d+)"', page.text)]


def next_link(page):
    """The address of the list's "Next page" link."""
    return re.search(r'rel="next" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")


@contextmanager
def sql_statements(dbsession):
    """Collect the SQL statements sent while the block runs."""
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = dbsession.get_bind().engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def custom_field(dbsession, key, field_type, **settings):
    """A customer custom field (filterable and shown in lists unless told otherwise)."""
    settings.setdefault("filterable", True)
    settings.setdefault("show_in_list", True)
    return create_definition(
        dbsession,
        guanxi_record_types()[0],
        key=key,
        field_type=field_type,
        labels={"en": key.title(), "zh_Hans": key},
        **settings,
    )


# -- filters --------------------------------------------------------------------------


def test_code_and_name_filter_by_prefix(login_as, org, make_customer):
    first = make_customer(org["rep"], "浦江精密机械", code="C2026000101")
    second = make_customer(org["rep"], "申城物流", code="C2026000202")
    web = login_as(org["rep"])
    assert rows(web.get("/customers", params={"code": "c20260001"})) == [first.id]
    assert rows(web.get("/customers", params={"name": "申城"})) == [second.id]
    assert rows(web.get("/customers", params={"name": "物流"})) == []  # a prefix, not "contains"
    page = web.get("/customers", params={"code": "C2026", "name": "浦江"})
    assert rows(page) == [first.id]
    assert "Code starts with: C2026" in page.text
    assert "Name starts with: 浦江" in page.text


def test_owner_team_and_region_filters(login_as, factory, org, make_customer):
    outside = factory.team("华南组", parent=org["sales"])
    south_rep = factory.user("south", role="sales_rep", team=outside)
    east = make_customer(org["rep"], "甲", province_code="31")
    other = make_customer(org["other_rep"], "乙", province_code="44", city_code="4401")
    south = make_customer(south_rep, "丙", province_code="44", city_code="4403")
    web = login_as(org["manager"])
    assert rows(web.get("/customers", params={"owner_id": org["other_rep"].id})) == [other.id]
    assert set(rows(web.get("/customers", params={"team_id": org["east"].id}))) == {
        east.id,
        other.id,
    }
    # a team includes the teams under it
    assert len(rows(web.get("/customers", params={"team_id": org["sales"].id}))) == 3
    assert set(rows(web.get("/customers", params={"province_code": "44"}))) == {other.id, south.id}
    page = web.get("/customers", params={"province_code": "44", "city_code": "4401"})
    assert rows(page) == [other.id]
    assert "City: 广州市" in page.text
    # a city of another province is ignored
    assert len(rows(web.get("/customers", params={"province_code": "31", "city_code": "4401"})))
    # a representative is offered no team filter; a hand-made one is ignored
    rep = login_as(org["rep"])
    assert 'name="team_id"' not in rep.get("/customers").text
    assert rows(rep.get("/customers", params={"team_id": org["sales"].id})) == [east.id]


def test_level_status_and_industry_take_several_values(login_as, org, dbsession, make_customer):
    add_entry(dbsession, "industry", "robotics", LABELS)
    major = make_customer(org["rep"], "甲", level="major", status="active")
    partner = make_customer(org["rep"], "乙", level="partner", status="at_risk")
    made = make_customer(org["rep"], "丙", industry="robotics", status="active")
    web = login_as(org["rep"])
    both = web.get("/customers", params=[("level", "major"), ("level", "partner")])
    assert set(rows(both)) == {major.id, partner.id}
    assert "Level: Major account" in both.text and "Level: Partner" in both.text
    assert 'href="/customers?level=partner"' in both.text  # removes one value only
    assert set(rows(web.get("/customers", params={"status": "active"}))) == {major.id, made.id}
    page = web.get("/customers", params={"industry": "robotics"})
    assert rows(page) == [made.id]
    assert "Industry: Robotics" in page.text
    ignored = web.get("/customers", params=[("level", "nonsense"), ("industry", "x")])
    assert len(rows(ignored)) == 3


def test_tags_any_or_all(login_as, org, dbsession, make_customer):
    vip = create_tag(dbsession, "VIP客户")
    east = create_tag(dbsession, "华东")
    both = make_customer(org["rep"], "甲")
    only_vip = make_customer(org["rep"], "乙")
    make_customer(org["rep"], "丙")
    add_tags(dbsession, [both.id, only_vip.id], [vip.id])
    add_tags(dbsession, [both.id], [east.id])
    web = login_as(org["rep"])
    tags = [("tag", str(vip.id)), ("tag", str(east.id))]
    assert set(rows(web.get("/customers", params=tags))) == {both.id, only_vip.id}
    page = web.get("/customers", params=[*tags, ("tag_mode", "all")])
    assert rows(page) == [both.id]
    assert "Tags (all of): VIP客户" in page.text
    assert len(rows(web.get("/customers", params={"tag": "999999"}))) == 3  # unknown: ignored


def test_created_between_reads_dates_in_the_users_time_zone(
    login_as, factory, org, dbsession, make_customer
):
    user = factory.user("tz", role="sales_rep", team=org["east"], timezone="Asia/Shanghai")
    early = make_customer(user, "早")
    late = make_customer(user, "晚")
    # 2026-03-01 23:30 in Shanghai is still 2026-03-01 there, though 15:30 UTC
    early.created_at = dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)
    late.created_at = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)  # 2026-03-02 00:30 there
    dbsession.flush()
    web = login_as(user)
    day = {"created_from": "2026-03-01", "created_to": "2026-03-01"}
    assert rows(web.get("/customers", params=day)) == [early.id]
    assert rows(web.get("/customers", params={"created_from": "2026-03-02"})) == [late.id]
    for odd in ("not a date", "9999-12-31", "0001-01-01"):
        assert len(rows(web.get("/customers", params={"created_to": odd}))) == 2


def test_custom_field_filters(login_as, org, dbsession, make_customer):
    tiers = [{"value": "gold", "labels": {"en": "Gold"}}, {"value": "silver", "labels": {}}]
    custom_field(dbsession, "tier", "choice", choices=tiers)
    custom_field(dbsession, "seats", "integer")
    custom_field(dbsession, "vip", "boolean")
    custom_field(dbsession, "met", "datetime")
    custom_field(dbsession, "hidden", "text", filterable=False)
    gold = make_customer(org["rep"], "甲", custom={"tier": "gold", "seats": 10, "vip": True})
    silver = make_customer(org["rep"], "乙", custom={"tier": "silver", "seats": 50})
    web = login_as(org["rep"])
    page = web.get("/customers", params={"cf_tier": "gold"})
    assert rows(page) == [gold.id]
    assert "Tier: Gold" in page.text
    assert rows(web.get("/customers", params={"cf_seats__from": "10", "cf_seats__to": "20"})) == [
        gold.id
    ]
    assert rows(web.get("/customers", params={"cf_seats__from": "50"})) == [silver.id]
    assert rows(web.get("/customers", params={"cf_seats__to": "10"})) == [gold.id]
    assert rows(web.get("/customers", params={"cf_vip": "true"})) == [gold.id]
    # unusable values and fields that are not filters are ignored
    assert len(rows(web.get("/customers", params={"cf_tier": "platinum"}))) == 2
    assert len(rows(web.get("/customers", params={"cf_seats__from": "many"}))) == 2
    for odd in ("0001-01-01T00:00", "9999-12-31T23:59"):  # the ends of time: no error
        web.get("/customers", params={"cf_met__from": odd}, status=200)
    assert len(rows(web.get("/customers", params={"cf_hidden": "x"}))) == 2
    panel = web.get("/customers").text
    assert 'name="cf_seats__from"' in panel and 'name="cf_hidden"' not in panel


def test_filters_stay_within_scope(login_as, org, make_customer):
    make_customer(org["other_rep"], "别人的", status="active")
    page = login_as(org["rep"]).get(
        "/customers", params={"owner_id": org["other_rep"].id, "status": "active"}
    )
    assert rows(page) == []
    assert "王磊" not in page.text  # not offered, so not even named in a chip


def test_no_match_offers_to_clear_filters(login_as, org, make_customer):
    make_customer(org["rep"], "甲", status="active")
    page = login_as(org["rep"]).get("/customers", params={"status": "churned"})
    assert "No customers match these filters" in page.text
    assert "Clear all filters" in page.text


# -- sorting and paging ---------------------------------------------------------------


def test_sort_by_code_continues_with_the_cursor(login_as, org, make_customer):
    made = [make_customer(org["rep"], f"客户{n}", code=f"K{n:04d}") for n in (5, 3, 9)]
    made += [make_customer(org["rep"], f"客户x{n}", code=f"K{n:04d}") for n in range(10, 60)]
    web = login_as(org["rep"])
    first = web.get("/customers", params={"sort": "-code"})
    codes = sorted((c for c in made), key=lambda c: c.code, reverse=True)
    assert rows(first) == [c.id for c in codes[:50]]
    second = web.get(next_link(first))
    assert "sort=-code" in next_link(first)
    assert rows(second) == [c.id for c in codes[50:]]
    assert 'aria-sort="descending"' in first.text


def test_only_indexed_sorts_are_offered(login_as, org, make_customer):
    make_customer(org["rep"])
    web = login_as(org["rep"])
    page = web.get("/customers", params={"sort": "phone"})
    assert 'name="sort" value="phone"' not in page.text  # ignored, not passed on
    for key in ("name", "code", "created_at", "updated_at"):
        assert f"sort={key}" in page.text


def test_the_count_is_capped(login_as, org, make_customer, monkeypatch, dbsession):
    monkeypatch.setattr("plugins.customers.views.COUNT_CAP", 3)
    for number in range(5):
        make_customer(org["rep"], f"客户{number}")
    with sql_statements(dbsession) as statements:
        page = login_as(org["rep"]).get("/customers")
    assert "3+ customers" in page.text
    counts = [s for s in statements if "count(" in s.lower() and "customers" in s]
    assert counts and all("LIMIT" in s.upper() for s in counts)


# -- columns ----------------------------------------------------------------------------


def test_column_chooser(login_as, org, dbsession, make_customer):
    custom_field(dbsession, "tier", "text")
    make_customer(org["rep"], "甲", phone="+8613812345678", custom={"tier": "金牌"})
    web = login_as(org["rep"])
    default = web.get("/customers")
    assert "138 1234 5678" in default.text and "金牌" in default.text  # defaults: custom too
    assert 'name="cols" value="tags"' in default.text  # offered in the chooser
    chosen = web.get("/customers", params=[("cols", "name"), ("cols", "cf_tier")])
    assert "金牌" in chosen.text and "138 1234 5678" not in chosen.text
    assert 'data-label="Owner"' not in chosen.text
    # next page and sort links keep the choice
    assert "cols=cf_tier" in chosen.text
    only_name = web.get("/customers", params={"cols": "name"})
    assert 'data-label="Code"' not in only_name.text
    assert rows(only_name)


# -- empty states -----------------------------------------------------------------------


def test_empty_state_links_the_import_page_for_those_who_may_import(login_as, org):
    agent = login_as(org["agent"])  # service agents do not import
    assert 'href="/imports"' not in agent.get("/customers").text
    page = login_as(org["rep"]).get("/customers")  # representatives import their own
    assert "No customers yet" in page.text
    assert 'href="/imports"' in page.text and 'href="/customers/new"' in page.text


def test_queries_do_not_grow_with_rows(login_as, org, dbsession, make_customer):
    """Every row shows tags, region and custom values without a query of its own."""
    custom_field(dbsession, "tier", "text")
    custom_field(dbsession, "buddy", "user")
    tag = create_tag(dbsession, "重点")
    web = login_as(org["rep"])
    params = [("cols", c) for c in ("name", "tags", "region", "owner", "cf_tier", "cf_buddy")]
    counted = []
    for number in range(12):
        buddy = (org["other_rep"], org["manager"], org["rep"])[number % 3]
        customer = make_customer(
            org["rep"],
            f"客户{number}",
            province_code="44",
            city_code="4401",
            custom={"tier": "金", "buddy": buddy.id},
        )
        add_tags(dbsession, [customer.id], [tag.id])
        if number in (2, 11):
            web.get("/customers", params=params)  # warm up (session, caches)
            with sql_statements(dbsession) as statements:
                page = web.get("/customers", params=params)
            assert len(rows(page)) == number + 1
            assert "王磊" in page.text and "重点" in page.text and "广州市" in page.text
            counted.append(statements)
    assert len(counted[0]) == len(counted[1]), "\n=====\n".join(s[:150] for s in counted[1])


# -- saved views --------------------------------------------------------------------------


def test_saved_views_as_tabs_limited_by_each_viewers_scope(login_as, org, dbsession, make_customer):
    mine = make_customer(org["rep"], "我的", status="active")
    make_customer(org["other_rep"], "同事的", status="active")
    make_customer(org["rep"], "潜在的", status="potential")
    manager = login_as(org["manager"])
    data = [("csrf_token", manager.csrf_token()), ("view_name", "活跃客户"), ("view_shared", "1")]
    data += [("status", "active"), ("sort", "name"), ("cols", "name"), ("cols", "code")]
    shown = manager.app.post("/views/customers", data, status=303).follow()
    assert len(rows(shown)) == 2
    assert 'aria-current="page"' in shown.text and "活跃客户" in shown.text
    rep = login_as(org["rep"])
    listing = rep.get("/customers")
    tab = re.search(r'href="([^"]+)"\s+data-saved-view', listing.text).group(1)
    opened = rep.get(tab.replace("&amp;", "&"))
    assert rows(opened) == [mine.id]  # the viewer's own scope still applies
    assert "Status: Active" in opened.text
    assert "Save changes to" not in opened.text  # not the rep's view to change
    # a personal view of the rep is not offered to the manager
    data = [
        ("csrf_token", rep.csrf_token()),
        ("view_name", "我的潜在客户"),
        ("status", "potential"),
    ]
    rep.app.post("/views/customers", data, status=303)
    assert "我的潜在客户" in rep.get("/customers").text
    assert "我的潜在客户" not in manager.get("/customers").text


def test_a_changed_view_offers_to_save_the_changes(login_as, org, make_customer):
    make_customer(org["rep"], "甲", status="active")
    web = login_as(org["rep"])
    data = [("csrf_token", web.csrf_token()), ("view_name", "活跃"), ("status", "active")]
    location = web.app.post("/views/customers", data, status=303).location
    assert "Save changes to" not in web.get(location).text
    changed = web.get(location + "&level=major")
    assert "Save changes to 活跃" in changed.text
    assert 'name="view_shared"' not in changed.text  # representatives do not share views
