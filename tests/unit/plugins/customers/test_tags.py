"""Tag rules: names and groups, system tags, tagging many customers, audit, the list filter."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.security.service_errors import Refused
from plugins.customers.models import Customer, Tag
from plugins.customers.service import assign_owner
from plugins.customers.tags import (
    CHURN_WARNING,
    VIP,
    add_tags,
    carriers,
    clean_name,
    create_tag,
    delete_tag,
    find_tag,
    group_of,
    remove_tags,
    set_system_tag,
    set_tags,
    tag_filter,
    update_tag,
)


@pytest.fixture
def owner(factory):
    return factory.user("owner", role="sales_rep")


@pytest.fixture
def customers(dbsession, owner):
    """``customers("甲", "乙")`` → new customers of ``owner`` with those names."""

    numbers = itertools.count(1)

    def make(*names):
        made = []
        for name in names:
            customer = Customer(code=f"TAG{next(numbers):04d}", name=name, custom={})
            assign_owner(customer, owner)
            dbsession.add(customer)
            dbsession.flush()
            made.append(customer)
        return made

    return make


def tags_of(dbsession, customer):
    dbsession.expire(customer, ["tags"])
    return [tag.name for tag in customer.tags]


def tag_events(dbsession, customer):
    """``[before, after]`` of each recorded tag change of the customer, oldest first."""
    rows = dbsession.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.record_type == "customers",
            AuditEvent.record_id == str(customer.id),
            AuditEvent.action == "update",
        )
        .order_by(AuditEvent.id)
    )
    return [row.changes["tags"] for row in rows if "tags" in (row.changes or {})]


# -- names and groups ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean", "group"),
    [
        ("  行业-制造业 ", "行业-制造业", "行业"),
        ("行业－制造业", "行业-制造业", "行业"),
        ("区域：华东", "区域:华东", "区域"),
        ("ＶＩＰ  客户", "VIP 客户", None),
        ("-孤儿", "-孤儿", None),
        ("行业-", "行业-", None),
        ("a-b-c", "a-b-c", "a"),
    ],
)
def test_names_are_normalised_and_grouped_by_prefix(raw, clean, group):
    assert clean_name(raw) == clean
    assert group_of(clean_name(raw)) == group


def test_a_created_tag_is_stored_clean_with_its_group(dbsession):
    tag = create_tag(dbsession, " 行业－制造业 ", "green")
    assert (tag.name, tag.group, tag.color, tag.is_system) == (
        "行业-制造业",
        "行业",
        "green",
        False,
    )
    assert find_tag(dbsession, "行业-制造业") is tag


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("vip", "A tag called VIP already exists."),
        ("ＶＩＰ", "A tag called VIP already exists."),
        ("   ", "Enter a name for the tag."),
        ("长" * 51, "A tag name has at most 50 characters."),
        ("零宽\u200b字符", "A tag name cannot contain control or invisible characters."),
    ],
)
def test_bad_or_duplicate_names_are_refused(dbsession, name, message):
    count = dbsession.scalar(select(Tag.id).order_by(Tag.id.desc()).limit(1))
    with pytest.raises(Refused) as refused:
        create_tag(dbsession, name)
    assert str(refused.value) == message
    assert dbsession.scalar(select(Tag.id).order_by(Tag.id.desc()).limit(1)) == count


def test_an_unknown_colour_is_refused(dbsession):
    with pytest.raises(Refused) as refused:
        create_tag(dbsession, "新标签", "chartreuse")
    assert list(refused.value.errors) == ["color"]
    assert find_tag(dbsession, "新标签") is None


def test_renaming_moves_the_group_and_refuses_a_taken_name(dbsession):
    tag = create_tag(dbsession, "行业-制造业")
    update_tag(dbsession, tag, "区域-华东", "red")
    assert (tag.name, tag.group, tag.color) == ("区域-华东", "区域", "red")
    with pytest.raises(Refused, match="A tag called VIP already exists"):
        update_tag(dbsession, tag, "Vip", "red")
    update_tag(dbsession, tag, "区域-华东", "teal")  # its own name is no clash
    assert tag.color == "teal"


# -- system tags ---------------------------------------------------------------------


def test_system_tags_are_seeded(dbsession):
    system = dbsession.scalars(select(Tag.name).where(Tag.is_system).order_by(Tag.name))
    assert set(system) == {"VIP", "流失预警", "重点跟进", "新客户"}


def test_system_tags_can_be_recoloured_but_not_renamed_or_deleted(dbsession):
    vip = find_tag(dbsession, VIP)
    update_tag(dbsession, vip, "VIP", "purple")
    assert vip.color == "purple"
    with pytest.raises(Refused, match="VIP is a system tag: it cannot be renamed"):
        update_tag(dbsession, vip, "贵宾", "purple")
    with pytest.raises(Refused, match="VIP is a system tag: it cannot be deleted"):
        delete_tag(dbsession, vip)
    dbsession.expire_all()
    assert find_tag(dbsession, VIP).name == "VIP"


def test_set_system_tag_puts_it_on_and_takes_it_off(dbsession, customers):
    (customer,) = customers("甲公司")
    assert set_system_tag(dbsession, customer, CHURN_WARNING, True)
    assert not set_system_tag(dbsession, customer, CHURN_WARNING, True)
    assert tags_of(dbsession, customer) == [CHURN_WARNING]
    assert set_system_tag(dbsession, customer, CHURN_WARNING, False)
    assert tags_of(dbsession, customer) == []
    assert tag_events(dbsession, customer) == [[[], [CHURN_WARNING]], [[CHURN_WARNING], []]]
    custom = create_tag(dbsession, "自定义")
    with pytest.raises(LookupError):
        set_system_tag(dbsession, customer, custom.name, True)


# -- tagging customers ---------------------------------------------------------------


def test_bulk_add_and_remove_audit_each_changed_customer_once(dbsession, customers):
    first, second, third = customers("甲", "乙", "丙")
    vip = find_tag(dbsession, VIP)
    key = create_tag(dbsession, "重要-一级")
    add_tags(dbsession, [first.id], [vip.id])
    versions = {c.id: c.version for c in (first, second, third)}

    changed = add_tags(dbsession, [first.id, second.id], [vip.id, key.id])

    assert changed == 2
    assert tags_of(dbsession, first) == ["VIP", "重要-一级"]
    assert tags_of(dbsession, second) == ["VIP", "重要-一级"]
    assert tag_events(dbsession, first)[-1] == [["VIP"], ["VIP", "重要-一级"]]
    assert tag_events(dbsession, second) == [[[], ["VIP", "重要-一级"]]]
    assert tag_events(dbsession, third) == []
    dbsession.expire_all()
    assert first.version == versions[first.id] + 1
    assert second.version == versions[second.id] + 1
    assert third.version == versions[third.id]

    assert add_tags(dbsession, [first.id], [vip.id]) == 0  # nothing new, nothing recorded
    assert len(tag_events(dbsession, first)) == 2

    query = select(Customer.id).where(Customer.name.in_(["甲", "乙", "丙"]))
    assert remove_tags(dbsession, query, [vip.id]) == 2
    assert tags_of(dbsession, first) == ["重要-一级"]
    assert tag_events(dbsession, second)[-1] == [["VIP", "重要-一级"], ["重要-一级"]]


def test_set_tags_replaces_the_set(dbsession, customers):
    (customer,) = customers("甲")
    a, b, c = (create_tag(dbsession, name) for name in ("甲标签", "乙标签", "丙标签"))
    assert set_tags(dbsession, customer, [a.id, b.id])
    assert set_tags(dbsession, customer, [b.id, c.id])
    assert not set_tags(dbsession, customer, [c.id, b.id])
    assert tags_of(dbsession, customer) == ["丙标签", "乙标签"]
    assert tag_events(dbsession, customer)[-1] == [["乙标签", "甲标签"], ["丙标签", "乙标签"]]


def test_deleting_a_tag_takes_it_off_customers_with_their_history(dbsession, customers):
    first, second = customers("甲", "乙")
    tag = create_tag(dbsession, "短期活动")
    add_tags(dbsession, [first.id, second.id], [tag.id])
    assert carriers(dbsession, tag.id) == 2
    assert delete_tag(dbsession, tag) == 2
    assert find_tag(dbsession, "短期活动") is None
    assert tags_of(dbsession, first) == []
    assert tag_events(dbsession, second)[-1] == [["短期活动"], []]


def test_carriers_counts_live_customers_up_to_a_cap(dbsession, customers):
    made = customers("甲", "乙", "丙")
    tag = create_tag(dbsession, "计数")
    add_tags(dbsession, [c.id for c in made], [tag.id])
    made[0].deleted_at = made[0].created_at
    dbsession.flush()
    assert carriers(dbsession, tag.id) == 2
    assert carriers(dbsession, tag.id, cap=1) == 2  # "more than 1"


# -- the list filter -----------------------------------------------------------------


def test_tag_filter_all_and_any(dbsession, customers):
    both, only_a, only_b, none = customers("双", "甲", "乙", "无")
    a, b = create_tag(dbsession, "A类"), create_tag(dbsession, "B类")
    add_tags(dbsession, [both.id, only_a.id], [a.id])
    add_tags(dbsession, [both.id, only_b.id], [b.id])
    mine = Customer.id.in_([both.id, only_a.id, only_b.id, none.id])

    def names(condition):
        query = select(Customer.name).where(mine, condition).order_by(Customer.id)
        return list(dbsession.scalars(query))

    assert names(tag_filter([a.id, b.id], "all")) == ["双"]
    assert names(tag_filter([a.id, b.id], "any")) == ["双", "甲", "乙"]
    assert names(tag_filter([a.id], "all")) == names(tag_filter([a.id], "any")) == ["双", "甲"]
    assert names(tag_filter([], "all")) == ["双", "甲", "乙", "无"]
    with pytest.raises(ValueError):
        tag_filter([a.id], "some")  # type: ignore[arg-type]


def test_tag_filter_reads_the_tag_index(dbsession):
    if dbsession.get_bind().dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    query = select(Customer.id).where(tag_filter([1, 2], "all"))
    compiled = query.compile(dbsession.get_bind(), compile_kwargs={"literal_binds": True})
    plan = " ".join(
        row[-1] for row in dbsession.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
    )
    assert "ix_customer_tags_tag_customer" in plan
    assert "SCAN customer_tags" not in plan
