"""Credit codes, ID numbers, bank accounts and websites as people type them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.customers.validators import (
    BANK_ACCOUNT_SHAPE,
    CREDIT_CODE_CHARS,
    CREDIT_CODE_CHECK,
    CREDIT_CODE_SHAPE,
    ID_BIRTH,
    ID_CHECK,
    ID_REGION,
    ID_SHAPE,
    WEBSITE_SHAPE,
    credit_code_check,
    id_number_check,
    normalise_bank_account,
    normalise_credit_code,
    normalise_id_number,
    normalise_website,
)

TODAY = dt.date(2026, 11, 22)


def refusal(normalise, raw, *args):
    with pytest.raises(ValueError) as caught:
        normalise(raw, *args)
    return caught.value.args[0]


# -- unified social credit codes (GB 32100-2015) ---------------------------------------


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("91350100M000100Y43", "91350100M000100Y43"),  # the standard's own example
        ("91110108MA01ABCDEN", "91110108MA01ABCDEN"),  # a Beijing company
        ("12100000400000624D", "12100000400000624D"),  # a public institution
        ("91310000ma1fl5lx5r", "91310000MA1FL5LX5R"),  # lower case
        (" 9131 0000 MA1F L5LX 5R ", "91310000MA1FL5LX5R"),  # spaces
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),  # full width
    ],
)
def test_valid_credit_codes_are_stored_in_capitals(raw, stored):
    assert normalise_credit_code(raw) == stored


@pytest.mark.parametrize(
    "raw, message",
    [
        ("91350100M000100Y4", CREDIT_CODE_SHAPE),  # 17 characters
        ("91350100M000100Y433", CREDIT_CODE_SHAPE),  # 19
        ("91350100M000100I43", CREDIT_CODE_SHAPE),  # I is not used
        ("913501O0M000100Y43", CREDIT_CODE_SHAPE),  # O is not used, and not in the region
        ("91AB0100M000100Y43", CREDIT_CODE_SHAPE),  # the region code is digits
        ("91350100M000100Y44", CREDIT_CODE_CHECK),  # wrong check character
        ("91350100M000010Y43", CREDIT_CODE_CHECK),  # two characters swapped
    ],
)
def test_invalid_credit_codes_are_refused(raw, message):
    assert refusal(normalise_credit_code, raw) == message


credit_bodies = st.builds(
    lambda head, region, rest: head + region + rest,
    st.text(CREDIT_CODE_CHARS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CREDIT_CODE_CHARS, min_size=9, max_size=9),
)


@given(credit_bodies)
def test_any_code_with_its_check_character_is_valid(body):
    code = body + credit_code_check(body)
    assert normalise_credit_code(code) == code
    assert normalise_credit_code(code.lower()) == code


@given(credit_bodies, st.integers(0, 17), st.integers(1, 30))
def test_changing_one_character_is_always_caught(body, position, shift):
    code = body + credit_code_check(body)
    replaced = CREDIT_CODE_CHARS[(CREDIT_CODE_CHARS.index(code[position]) + shift) % 31]
    typo = code[:position] + replaced + code[position + 1 :]
    with pytest.raises(ValueError):
        normalise_credit_code(typo)


# -- resident ID numbers (GB 11643-1999, ISO 7064 MOD 11-2) ------------------------------


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("11010519491231002X", "11010519491231002X"),  # the standard's own example
        ("11010519491231002x", "11010519491231002X"),  # lower-case x
        ("440305199003071236", "440305199003071236"),
        ("310115197512310454", "310115197512310454"),
        ("810000198808081235", "810000198808081235"),  # Hong Kong residence permit
        ("４４０３０５ １９９００３０７ １２３６", "440305199003071236"),  # full width, spaces
    ],
)
def test_valid_id_numbers_are_stored_with_a_capital_x(raw, stored):
    assert normalise_id_number(raw, TODAY) == stored


@pytest.mark.parametrize(
    "raw, message",
    [
        ("44030519900307123", ID_SHAPE),  # 17 characters
        ("4403051990030712366", ID_SHAPE),  # 19
        ("44030519900307123A", ID_SHAPE),  # only X may be a letter
        ("X40305199003071236", ID_SHAPE),
        ("990305199003071236", ID_REGION),  # no province 99
        ("440000199003071236", ID_REGION),  # no city or county
        ("440305199002301236", ID_BIRTH),  # 30 February
        ("440305189912311236", ID_BIRTH),  # before 1900
        ("440305202701011236", ID_BIRTH),  # born after today
        ("440305199003071237", ID_CHECK),
        ("440305199003071326", ID_CHECK),  # two digits swapped
    ],
)
def test_invalid_id_numbers_are_refused(raw, message):
    assert refusal(normalise_id_number, raw, TODAY) == message


id_bodies = st.builds(
    lambda province, rest, born, sequence: f"{province}{rest}{born:%Y%m%d}{sequence:03d}",
    st.sampled_from(["11", "31", "44", "65", "81"]),
    st.integers(101, 9999).map(lambda n: f"{n:04d}"),
    st.dates(dt.date(1900, 1, 1), TODAY),
    st.integers(0, 999),
)


@given(id_bodies)
def test_any_id_number_with_its_check_character_is_valid(body):
    number = body + id_number_check(body)
    assert normalise_id_number(number.lower(), TODAY) == number


@given(id_bodies, st.integers(0, 16), st.integers(1, 9))
def test_changing_one_digit_of_an_id_number_is_caught(body, position, shift):
    number = body + id_number_check(body)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(ValueError):
        normalise_id_number(typo, TODAY)


# -- bank accounts and websites -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("6222 0212 3456 7890 128", "6222021234567890128"),
        ("6222-0212-3456", "622202123456"),
        ("１２３４５６７８", "12345678"),
    ],
)
def test_bank_accounts_keep_only_digits(raw, stored):
    assert normalise_bank_account(raw) == stored


@pytest.mark.parametrize("raw", ["1234567", "1" * 35, "6222 0212 ABCD", "٣٣٣٣٣٣٣٣٣"])
def test_bank_accounts_of_other_shapes_are_refused(raw):
    assert refusal(normalise_bank_account, raw) == BANK_ACCOUNT_SHAPE


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("www.example.com", "https://www.example.com"),
        ("HTTP://Example.COM/Path?q=1", "http://example.com/Path?q=1"),
        ("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｎ", "https://www.example.cn"),
        ("https://例子.中国/", "https://例子.中国/"),
        ("https://shop.example.com:8443/a", "https://shop.example.com:8443/a"),
    ],
)
def test_websites_get_a_scheme_and_lower_case_host(raw, stored):
    assert normalise_website(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "ftp://example.com",
        "localhost",
        "https://user:secret@example.com",
        "https://exa mple.com",
        "https://example.com:99999",
        "https://" + "a" * 190 + ".com",
        "https://-bad-.com",
    ],
)
def test_other_addresses_are_refused(raw):
    assert refusal(normalise_website, raw) == WEBSITE_SHAPE
