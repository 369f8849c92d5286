"""Tests for core.security.passwords: argon2id hashing and the password policy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.security import passwords
from core.security.passwords import (
    CONTAINS_USERNAME,
    MAX_LENGTH,
    SAME_AS_EMAIL,
    SAME_AS_USERNAME,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    check_password_policy,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)

STRONG = "Violet kettles hum at dawn 42"


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(STRONG)


# --- hashing -----------------------------------------------------------------


def test_hash_is_argon2id_and_salted(stored_hash: str) -> None:
    assert stored_hash.startswith("$argon2id$")
    assert STRONG not in stored_hash
    assert hash_password(STRONG) != stored_hash  # fresh salt each time


def test_verify_round_trip(stored_hash: str) -> None:
    assert verify_password(stored_hash, STRONG) is True


def test_verify_mismatch(stored_hash: str) -> None:
    assert verify_password(stored_hash, STRONG + "!") is False
    assert verify_password(stored_hash, STRONG.lower()) is False
    assert verify_password(stored_hash, "") is False


@pytest.mark.parametrize("bad", ["", "not-a-hash", "$argon2id$v=19$garbage", "$2b$12$abc"])
def test_verify_invalid_hash_returns_false(bad: str) -> None:
    assert verify_password(bad, STRONG) is False


def test_unicode_normalisation() -> None:
    composed = "caf\u00e9 au lait, s'il vous pla\u00eet"
    decomposed = "cafe\u0301 au lait, s'il vous plai\u0302t"
    assert verify_password(hash_password(composed), decomposed) is True


def test_needs_rehash(stored_hash: str) -> None:
    assert needs_rehash(stored_hash) is False
    weak = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$" + "A" * 43
    assert needs_rehash(weak) is True
    assert needs_rehash("not-a-hash") is True


def test_dummy_hash_is_lazy_and_never_matches() -> None:
    assert passwords.DUMMY_HASH.startswith("$argon2id$")
    assert passwords.DUMMY_HASH is passwords.DUMMY_HASH  # computed once
    assert verify_dummy("anything at all") is False
    assert verify_dummy("") is False
    with pytest.raises(AttributeError):
        _ = passwords.NO_SUCH_NAME


@settings(max_examples=200, deadline=None)
@given(hashed=st.text(), plain=st.text())
def test_verify_never_raises_on_arbitrary_hash(hashed: str, plain: str) -> None:
    assert verify_password(hashed, plain) is False


@settings(max_examples=15, deadline=None)
@given(plain=st.text(max_size=64))
def test_verify_never_raises_on_arbitrary_password(stored_hash: str, plain: str) -> None:
    assert verify_password(stored_hash, plain) is (plain == STRONG)


def test_verify_lone_surrogate_does_not_raise(stored_hash: str) -> None:
    assert verify_password(stored_hash, "abc\ud800def") is False


# --- common password list ----------------------------------------------------


def test_common_list_is_loaded_once_and_normalised() -> None:
    common = common_passwords()
    assert common is common_passwords()
    assert isinstance(common, frozenset)
    assert len(common) > 5_000
    assert "password" in common
    assert "password123" in common
    assert all(len(w) >= 8 and w == w.lower() for w in common)
    assert not any(w.startswith("#") for w in common)


# --- policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pw", ["password123", "PASSWORD123", "Password123", "qwertyuiop", "1234567890"]
)
def test_policy_rejects_common(pw: str) -> None:
    assert TOO_COMMON in check_password_policy(pw)


@pytest.mark.parametrize(
    "pw", ["", "a", "Xq7!vR2#p", "\u4f60\u597d\u4f60\u597d\u4f60\u597d\u4f60\u597d\u4f60"]
)
def test_policy_rejects_short(pw: str) -> None:
    assert TOO_SHORT in check_password_policy(pw)


def test_policy_counts_code_points() -> None:
    # 10 CJK characters are 30 bytes in UTF-8 but 10 code points: long enough.
    assert (
        check_password_policy("\u5173\u7cfb\u5ba2\u6237\u7ba1\u7406\u7cfb\u7edf\u597d\u7528") == []
    )


def test_policy_rejects_too_long() -> None:
    assert check_password_policy("x7Q" * 100) == [TOO_LONG]
    assert check_password_policy("k" * MAX_LENGTH) == []


def test_policy_rejects_username() -> None:
    assert SAME_AS_USERNAME in check_password_policy("Zhang.Wei.2024", username="zhang.wei.2024")
    errors = check_password_policy("my zhangwei secret", username="ZhangWei")
    assert errors == [CONTAINS_USERNAME]


def test_policy_short_username_may_be_contained() -> None:
    assert check_password_policy("hill walking in autumn", username="bob") == []
    assert check_password_policy("bob walking in autumn", username="bob") == []


def test_policy_rejects_email_local_part() -> None:
    errors = check_password_policy("Li.Na.Sales.Team", email="li.na.sales.team@example.cn")
    assert errors == [SAME_AS_EMAIL]
    # only the local part counts, not the whole address
    assert check_password_policy("example.cn.domain", email="ab@example.cn.domain") == []


def test_policy_accepts_strong_passphrase() -> None:
    assert check_password_policy(STRONG, username="alice", email="alice@example.com") == []


def test_policy_reports_several_rules() -> None:
    assert check_password_policy("password", username="password") == [
        TOO_SHORT,
        TOO_COMMON,
        SAME_AS_USERNAME,
    ]


def test_message_ids_are_stable() -> None:
    assert TOO_SHORT == "password.too_short"
    assert TOO_LONG == "password.too_long"
    assert TOO_COMMON == "password.too_common"
    assert SAME_AS_USERNAME == "password.same_as_username"
