"""Search terms: CJK n-grams, pinyin of names (with surname readings), phones, e-mails."""

from __future__ import annotations

import pytest

from core.search import MAX_TERMS_LENGTH, index_terms, pinyin_of_name, query_terms


def terms_of(*texts, **kwargs):
    return index_terms(*texts, **kwargs).split()


def test_a_chinese_name_gives_unigrams_bigram_pinyin_and_initials():
    assert terms_of(person_names=["张三"]) == ["张", "三", "张三", "zhangsan", "zs"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单伟", ("shanwei", "sw")),
        ("曾国藩", ("zengguofan", "zgf")),
        ("解晓东", ("xiexiaodong", "xxd")),
        ("仇英", ("qiuying", "qy")),
        ("朴智星", ("piaozhixing", "pzx")),
        ("查良镛", ("zhaliangyong", "zly")),
        ("区家麟", ("oujialin", "ojl")),
    ],
)
def test_polyphonic_surnames_are_read_as_surnames(name, expected):
    assert pinyin_of_name(name) == expected


def test_surname_readings_apply_only_to_people_and_the_first_character():
    assert pinyin_of_name("单位", is_person=False) == ("danwei", "dw")
    assert pinyin_of_name("王单") == ("wangdan", "wd")


def test_a_name_without_chinese_has_no_pinyin():
    assert pinyin_of_name("Alice") == ("", "")
    assert terms_of(person_names=["Alice Wong"]) == ["alice", "wong"]


def test_phone_numbers_give_the_number_and_its_last_four_digits():
    assert terms_of(phones=["+86 138-0013-8000"]) == ["8613800138000", "13800138000", "8000"]
    assert terms_of(phones=["010 6552 9988"]) == ["01065529988", "9988"]


def test_emails_give_the_address_and_its_local_part():
    assert terms_of(emails=["Zhang.San@Example.COM"]) == ["zhang.san@example.com", "zhang.san"]


def test_full_width_text_is_normalised():
    assert terms_of("ＡＢＣ公司　１２３") == ["abc", "公", "司", "公司", "123"]


def test_terms_are_unique_and_bounded():
    assert terms_of("上海 上海 Shanghai shanghai") == ["上", "海", "上海", "shanghai"]
    long = index_terms(" ".join(f"word{i}x" for i in range(2000)))
    assert 0 < len(long) <= MAX_TERMS_LENGTH
    assert not long.endswith(" ")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张", ["张"]),
        ("张三", ["张三"]),
        ("张三丰", ["张三", "三丰"]),
        ("ZhangS", ["zhangs"]),
        ("8000", ["8000"]),
        ("张 zs 8000", ["张", "zs", "8000"]),
        ("zhang.san@example.com", ["zhang.san@example.com"]),
        ("ｚｓ", ["zs"]),
        ("  !? ", []),
    ],
)
def test_query_terms(query, expected):
    assert query_terms(query) == expected
