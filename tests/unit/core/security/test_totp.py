"""Tests for core.security.totp: TOTP codes, QR enrolment and recovery codes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest

from core.security.totp import (
    RECOVERY_ALPHABET,
    generate_recovery_codes,
    hash_recovery_code,
    match_recovery_code,
    new_secret,
    provisioning_uri,
    qr_svg,
    verify_code,
)

NOW = 1_700_000_015.0  # 15 s into a 30-second step
STEP = int(NOW // 30)


@pytest.fixture
def secret() -> str:
    return new_secret()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * 30)


# --- secrets and enrolment ---------------------------------------------------


def test_new_secret_is_random_base32() -> None:
    a, b = new_secret(), new_secret()
    assert a != b
    assert re.fullmatch(r"[A-Z2-7]{32}", a)


def test_provisioning_uri(secret: str) -> None:
    uri = provisioning_uri(secret, "wei@example.cn")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth"
    assert parsed.netloc == "totp"
    assert unquote(parsed.path) == "/Guanxi CRM:wei@example.cn"
    query = parse_qs(parsed.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Guanxi CRM"]
    assert "issuer=Acme" in provisioning_uri(secret, "wei", issuer="Acme")


def test_qr_svg_is_inline_svg(secret: str) -> None:
    svg = qr_svg(provisioning_uri(secret, "wei@example.cn"))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg
    assert "http" not in svg  # nothing external referenced
    assert "<path" in svg


# --- verification --------------------------------------------------------------


def test_accepts_current_code_and_returns_step(secret: str) -> None:
    assert verify_code(secret, code_at(secret, STEP), None, now=NOW) == STEP


def test_accepts_real_clock(secret: str) -> None:
    step = verify_code(secret, pyotp.TOTP(secret).now(), None)
    assert step is not None


@pytest.mark.parametrize("offset", [-1, 1])
def test_accepts_adjacent_step(secret: str, offset: int) -> None:
    assert verify_code(secret, code_at(secret, STEP + offset), None, now=NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_rejects_codes_outside_window(secret: str, offset: int) -> None:
    code = code_at(secret, STEP + offset)
    window = {code_at(secret, STEP + d) for d in (-1, 0, 1)}
    if code in window:  # one-in-a-million collision
        pytest.skip("code collides with one inside the window")
    assert verify_code(secret, code, None, now=NOW) is None


def test_rejects_wrong_code(secret: str) -> None:
    window = {code_at(secret, STEP + d) for d in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    assert verify_code(secret, wrong, None, now=NOW) is None


@pytest.mark.parametrize("junk", ["", "12345", "1234567", "abcdef", "12 34 5", "١٢٣٤٥٦"])
def test_rejects_malformed_code(secret: str, junk: str) -> None:
    assert verify_code(secret, junk, None, now=NOW) is None


def test_rejects_replayed_step(secret: str) -> None:
    code = code_at(secret, STEP)
    used = verify_code(secret, code, None, now=NOW)
    assert used == STEP
    assert verify_code(secret, code, used, now=NOW) is None
    assert verify_code(secret, code, used, now=NOW + 30) is None  # still in window, still refused
    # an older step's code is refused once a later step was used
    assert verify_code(secret, code_at(secret, STEP - 1), used, now=NOW) is None
    # the next step's code is fine
    assert verify_code(secret, code_at(secret, STEP + 1), used, now=NOW + 30) == STEP + 1


def test_accepts_code_with_spaces(secret: str) -> None:
    code = code_at(secret, STEP)
    spaced = f" {code[:3]} {code[3:]}\t"
    assert verify_code(secret, spaced, None, now=NOW) == STEP


def test_invalid_secret_returns_none() -> None:
    assert verify_code("not base32 !!", "123456", None, now=NOW) is None


# --- recovery codes ------------------------------------------------------------


def test_recovery_codes_format_and_uniqueness() -> None:
    codes = generate_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    pattern = re.compile(f"[{RECOVERY_ALPHABET}]{{4}}-[{RECOVERY_ALPHABET}]{{4}}")
    assert all(pattern.fullmatch(c) for c in codes)
    assert not set("ilo0189") & set(RECOVERY_ALPHABET)
    assert len(generate_recovery_codes(25)) == 25
    assert set(generate_recovery_codes()).isdisjoint(codes)


def test_hash_recovery_code_normalises() -> None:
    h = hash_recovery_code("abcd-efgh")
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert hash_recovery_code("ABCD-EFGH") == h
    assert hash_recovery_code(" abcd efgh ") == h
    assert hash_recovery_code("abcdefgh") == h
    assert hash_recovery_code("abcd-efgj") != h


def test_recovery_code_matches_once() -> None:
    codes = generate_recovery_codes()
    stored = [hash_recovery_code(c) for c in codes]
    assert all(c not in "".join(stored) for c in codes)  # only hashes are stored

    used = codes[3]
    matched = match_recovery_code(used.upper().replace("-", " "), stored)
    assert matched == stored[3]
    stored.remove(matched)  # the caller deletes the used hash
    assert match_recovery_code(used, stored) is None
    # the others still work
    assert match_recovery_code(codes[4], stored) == hash_recovery_code(codes[4])


@pytest.mark.parametrize("bad", ["", "   ", "-", "zzzz-zzzz", "é"])
def test_recovery_code_no_match(bad: str) -> None:
    stored = [hash_recovery_code(c) for c in generate_recovery_codes()]
    assert match_recovery_code(bad, stored) is None
    assert match_recovery_code(bad, []) is None
