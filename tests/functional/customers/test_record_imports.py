"""Contacts, follow-ups, orders and contracts through the same pipeline, each with its own rules."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from decimal import Decimal

from sqlalchemy import select

from core.security.tokens import create_token
from plugins.customers.followup_models import FollowUp
from plugins.customers.models import Contact
from plugins.customers.order_models import Contract, Order


def export_rows(client, dbsession, user, type_name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    permissions = [
        "customers.customer.view", "customers.contact.view", "customers.contact.export",
        "customers.follow_up.view", "customers.follow_up.export",
        "customers.order.view", "customers.order.export",
    ]  # fmt: skip
    token = create_token(dbsession, user, "export", permissions)[1]
    body = client.post_json(
        "/api/v1/exports", {"type": type_name}, headers={"Authorization": f"Bearer {token}"}
    ).body
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_contacts_join_their_customer_and_keep_one_primary(
    org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    huadong = make_customer(org["manager"], "华东机械", code="C-1")
    make_customer(org["manager"], "重名公司")
    make_customer(org["manager"], "重名公司")
    rows = [
        ["客户编号", "联系人", "性别", "手机", "主要联系人", "生日"],
        ["C-1", "张三", "男", "13812345678", "", "1985/3/1"],
        ["华东机械", "李四", "女", "13900001111", "是", ""],
        ["重名公司", "王五", "", "13700001111", "", ""],
        ["不存在", "赵六", "", "", "", ""],
    ]
    counts, _ = import_rows(org["manager"], rows, type_name="contacts", valid_rows_only=True)
    assert (counts.created, counts.failed) == (2, 2)
    contacts = {c.name: c for c in dbsession.scalars(select(Contact))}
    assert set(contacts) == {"张三", "李四"}
    assert contacts["李四"].is_primary and not contacts["张三"].is_primary  # the one marked
    assert (contacts["张三"].gender, contacts["张三"].birthday) == ("male", dt.date(1985, 3, 1))
    again, _ = import_rows(
        org["manager"],
        [["客户编号", "联系人", "手机"], ["C-1", "张三丰", "138 1234 5678"]],
        type_name="contacts",
        on_duplicate="update",
    )
    assert (again.created, again.updated) == (0, 1)  # the same mobile at the same customer
    dbsession.expire_all()
    assert dbsession.get(Contact, contacts["张三"].id).name == "张三丰"
    assert huadong.id == contacts["张三"].customer_id


def test_contacts_go_only_to_customers_the_user_may_add_contacts_to(
    org, make_customer, import_rows
):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "经理的客户", code="M-1")
    make_customer(org["rep"], "我的客户", code="R-1")
    rows = [["客户", "联系人"], ["M-1", "甲"], ["R-1", "乙"]]
    counts, _ = import_rows(org["rep"], rows, type_name="contacts", valid_rows_only=True)
    assert (counts.created, counts.failed) == (1, 1)


def test_follow_ups_read_excel_dates_and_update_the_last_contact(
    org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    customer = make_customer(org["manager"], "华东机械", code="C-1")
    rows = [
        ["客户", "主题", "方式", "跟进时间", "状态", "计划时间", "跟进人"],
        ["C-1", "电话回访", "电话", dt.datetime(2026, 3, 1, 14, 30), "", None, "李强"],
        ["C-1", "上门拜访", "拜访", "2026/3/5 10:00", "已完成", None, ""],
        ["C-1", "季度回顾", "", None, "计划中", 46200, ""],  # Excel serial: 2026-06-27
        ["C-1", "没有时间的计划", "", None, "planned", None, ""],
    ]
    counts, _ = import_rows(
        org["manager"], rows, type_name="follow-ups", file_format="xlsx", valid_rows_only=True
    )
    assert (counts.created, counts.failed) == (3, 1)
    followups = {f.subject: f for f in dbsession.scalars(select(FollowUp))}
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert followups["电话回访"].happened_at == dt.datetime(2026, 3, 1, 14, 30, tzinfo=shanghai)
    assert followups["电话回访"].user_id == org["rep"].id
    assert followups["季度回顾"].due_at.astimezone(shanghai).date() == dt.date(2026, 6, 27)
    assert (followups["季度回顾"].state, followups["上门拜访"].method) == ("planned", "visit")
    dbsession.expire_all()
    assert customer.last_contact_at == dt.datetime(2026, 3, 5, 10, 0, tzinfo=shanghai)


def test_orders_with_a_line_or_a_total_numbered_and_dated(
    org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    customer = make_customer(org["manager"], "华东机械", code="C-1")
    rows = [
        ["订单号", "客户", "下单日期", "产品名称", "数量", "单价", "金额", "币种"],
        ["", "C-1", dt.date(2026, 3, 1), "液压泵", 2, "1,250.00", None, "人民币"],
        ["SO-OLD-7", "C-1", "2026年3月2日", None, None, None, "¥880", "USD"],
        ["", "C-1", 46083, "阀门", 3, 10, 31, ""],  # 3 × 10 is not 31
    ]
    counts, _ = import_rows(
        org["manager"], rows, type_name="orders", file_format="xlsx", valid_rows_only=True
    )
    assert (counts.created, counts.failed) == (2, 1)
    orders = {o.number: o for o in dbsession.scalars(select(Order))}
    automatic = next(number for number in orders if number.startswith("SO"))
    assert automatic.startswith("SO20") and automatic != "SO-OLD-7"
    assert (orders[automatic].amount, orders[automatic].ordered_on) == (
        Decimal("2500.00"),
        dt.date(2026, 3, 1),
    )
    assert [(line.product_name, line.quantity) for line in orders[automatic].lines] == [
        ("液压泵", 2)
    ]
    assert (orders["SO-OLD-7"].amount, orders["SO-OLD-7"].currency) == (Decimal("880.00"), "USD")
    assert orders["SO-OLD-7"].lines[0].product_name == "Order total"
    dbsession.expire_all()
    assert customer.last_order_at == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_orders_update_by_number_and_never_take_a_number_twice(
    org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "华东机械", code="C-1")
    rows = [
        ["订单号", "客户", "下单日期", "金额", "状态"],
        ["SO-1", "C-1", "2026-03-01", "100", "已确认"],
    ]
    import_rows(org["manager"], rows, type_name="orders")
    rows[1][4] = "已完成"
    counts, _ = import_rows(org["manager"], rows, type_name="orders", on_duplicate="update")
    assert counts.updated == 1
    counts, _ = import_rows(
        org["manager"], rows, type_name="orders", on_duplicate="create", valid_rows_only=True
    )
    assert (counts.created, counts.failed) == (0, 1)
    assert dbsession.scalars(select(Order.state)).all() == ["completed"]


def test_contracts_import_and_every_type_exports(
    org, make_customer, import_rows, dbsession, client
):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "华东机械", code="C-1")
    rows = [
        ["合同编号", "客户", "合同名称", "签订日期", "结束日期", "合同金额", "状态"],
        ["", "C-1", "2026 年度维保", "2026-01-05", "2026-12-31", "12000", "生效"],
    ]
    counts, _ = import_rows(org["manager"], rows, type_name="contracts")
    assert counts.created == 1
    contract = dbsession.scalars(select(Contract)).one()
    assert (contract.number[:6], contract.title, contract.state) == (
        "HT2026",
        "2026 年度维保",
        "active",
    )
    exported = export_rows(client, dbsession, org["manager"], "contracts")
    assert exported[1][:4] == [contract.number, "C-1", "华东机械", "2026 年度维保"]
    import_rows(
        org["manager"],
        [["客户", "联系人", "手机"], ["C-1", "张三", "13812345678"]],
        type_name="contacts",
    )
    contacts = export_rows(client, dbsession, org["manager"], "contacts")
    assert contacts[1][:3] == ["C-1", "华东机械", "张三"] and "138 1234 5678" in contacts[1]
    import_rows(
        org["manager"],
        [["客户", "主题", "跟进时间"], ["C-1", "回访", "2026-03-01 09:00"]],
        type_name="follow-ups",
    )
    followups = export_rows(client, dbsession, org["manager"], "follow-ups")
    assert followups[1][:3] == ["C-1", "华东机械", "回访"] and "2026-03-01 09:00:00" in followups[1]
    orders = export_rows(client, dbsession, org["manager"], "orders")
    assert orders == [orders[0]]  # a header, and no orders yet
