"""How names are compared for duplicates: legal forms, spaces, width and case do not count."""

from __future__ import annotations

import pytest

from plugins.customers.duplicates import name_stem, normalise_name


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("上海浦江精密机械有限公司", "上海浦江精密机械股份有限公司"),
        ("上海 浦江（精密）机械", "上海浦江精密机械有限责任公司"),
        ("华为集团", "华为"),
        ("ＡＢＣ Trading Co., Ltd.", "abc trading"),
        ("Acme Group Inc.", "ACME"),
    ],
)
def test_lookalike_names_compare_equal(first, second):
    assert normalise_name(first) == normalise_name(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("上海浦江精密机械有限公司", "上海浦江精密机械厂"),
        ("Costco", "Cost"),
        ("华为技术有限公司", "华为终端有限公司"),
    ],
)
def test_different_names_stay_different(first, second):
    assert normalise_name(first) != normalise_name(second)


def test_a_name_is_never_stripped_to_nothing():
    assert normalise_name("有限公司")
    assert normalise_name("Co., Ltd.") == "co"


def test_the_stem_is_the_start_of_the_name_as_written():
    assert name_stem("上海浦江精密机械 有限公司") == "上海浦江精密机械"
    assert name_stem("Acme Co., Ltd.") == "Acme"
    assert name_stem("集团") == "集团"
