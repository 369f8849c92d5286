"""What customers and contacts are indexed by, and how queries are read."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plugins.customers.search_index import (
    company_pinyin,
    contact_terms,
    customer_terms,
    phone_forms,
    search_text,
)


def customer(**fields):
    values = {
        "kind": "company",
        "name": "",
        "short_name": None,
        "code": "C2026000001",
        "credit_code": None,
        "phone": None,
        "email": None,
    }
    return SimpleNamespace(**{**values, **fields})


def test_a_mobile_is_found_by_its_leading_digits_and_national_number():
    assert phone_forms("+8613812345678") == [
        "138",
        "1381",
        "13812",
        "138123",
        "1381234",
        "13812345",
        "138123456",
        "1381234567",
        "13812345678",
    ]


def test_a_landline_is_found_with_its_trunk_zero_and_without_its_area_code():
    forms = phone_forms("+862164502211")
    assert "02164502211" in forms and "0216450" in forms
    assert "64502211" in forms and "6450" in forms
    assert "2164502211" not in forms
    assert phone_forms(None) == [] and phone_forms("not a phone") == []


def test_company_pinyin_covers_the_whole_name_and_the_name_after_its_places():
    assert company_pinyin("华为") == ["huawei", "hw"]
    assert company_pinyin("广东省深圳市华为技术") == [
        "guangdongshengshenzhenshihuaweijishu",
        "gdsszshwjs",
        "shenzhenshihuaweijishu",
        "szshwjs",
        "huaweijishu",
        "hwjs",
    ]
    assert company_pinyin("Acme Ltd") == []


def test_company_names_are_not_read_with_surname_readings():
    terms = customer_terms(customer(name="单位服务公司")).split()
    assert "danweifuwugongsi" in terms and "shanweifuwugongsi" not in terms


def test_individuals_get_person_readings_and_their_phone_forms():
    terms = customer_terms(customer(kind="individual", name="单伟", phone="+8613812345678"))
    assert terms.split()[:5] == ["单", "伟", "单伟", "shanwei", "sw"]
    assert {"5678", "138", "13812345678", "c", "2026000001"} <= set(terms.split())


def test_contacts_are_indexed_by_name_mobile_phone_and_email():
    contact = SimpleNamespace(
        name="曾小贤", mobile="+8613900002222", phone="+862164500000", email="Zeng@Example.cn"
    )
    terms = set(contact_terms(contact).split())
    assert {"zengxiaoxian", "zxx", "2222", "1390000", "0000", "zeng@example.cn", "zeng"} <= terms


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("+86 21 6450 2211", "02164502211"),
        ("(021) 6450-2211", "02164502211"),
        ("１３８ １２３４", "1381234"),
        ("+1 415 555 0100", "14155550100"),
        ("5678", "5678"),
        ("12", "12"),
        ("张三 138", "张三 138"),
        ("ＡＢＣ", "abc"),
        ("QA\x00", ""),
        ("QA\ufffd", ""),
        (" 张三\t ", "张三"),
    ],
)
def test_phone_queries_written_in_parts_become_one_number(query, expected):
    assert search_text(query) == expected
