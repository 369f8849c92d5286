"""The History tab and the timeline name fields and values as the customer form does."""

from __future__ import annotations

import datetime as dt


def test_changes_read_as_labels_and_named_values(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"], "华东精密", status="potential", province_code="31")
    customer.status = "active"
    customer.owner_id = org["other_rep"].id
    customer.province_code = "44"
    customer.churn_check_on = dt.date(2026, 12, 24)
    dbsession.flush()
    history = login_as(org["manager"]).get(f"/history/customer/{customer.id}").text
    assert 'data-field="status">Status</span>' in history
    assert "Potential" in history and "Active" in history
    assert "李强" in history and "王磊" in history  # owners by name, not by id
    assert "上海市" in history and "广东省" in history  # regions by name, not by code
    assert "Dec 24, 2026" in history
    assert "owner_id" not in history.replace('data-field="owner_id"', "")


def test_chinese_users_read_chinese_labels(login_as, org, make_customer, dbsession, factory):
    customer = make_customer(org["rep"], "华东精密", status="potential")
    customer.status = "at_risk"
    dbsession.flush()
    reader = factory.user("reader", role="sales_manager", team=org["sales"], language="zh_Hans")
    page = login_as(reader).get(f"/records/customer/{customer.id}/timeline").text
    assert "状态" in page and "潜在" in page and "有流失风险" in page


def test_derived_dates_are_not_listed_as_changes(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"], "华东精密")
    customer.last_contact_at = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    dbsession.flush()
    history = login_as(org["rep"]).get(f"/history/customer/{customer.id}").text
    assert "last_contact_at" not in history
