"""TOTP two-factor authentication (RFC 6238) and one-time recovery codes.

TOTP uses pyotp's defaults (SHA-1, 6 digits, 30-second steps), which every
authenticator app understands.  ``verify_code`` returns the time step it matched,
so the caller stores it and a code can never be used twice.

Recovery codes look like ``abcd-2345``; only their SHA-256 hashes are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno

__all__ = [
    "DEFAULT_ISSUER",
    "RECOVERY_ALPHABET",
    "generate_recovery_codes",
    "hash_recovery_code",
    "match_recovery_code",
    "new_secret",
    "provisioning_uri",
    "qr_svg",
    "verify_code",
]

DEFAULT_ISSUER = "Guanxi CRM"
DIGITS = 6
INTERVAL = 30
#: Steps accepted either side of the current one (clock drift).
VALID_WINDOW = 1

#: Lowercase base32 (RFC 4648) less the look-alikes i, l and o; it has no 0, 1, 8 or 9.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz234567"
_RECOVERY_HALF = 4


def new_secret() -> str:
    """Return a new random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str, issuer: str = DEFAULT_ISSUER) -> str:
    """Return the ``otpauth://totp/...`` URI an authenticator app enrols from."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account_name, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """Return inline SVG markup of a QR code for ``uri`` (no image file, nothing fetched)."""
    qr = segno.make_qr(uri, error="m")
    return qr.svg_inline(scale=4, dark="#000", light="#fff", svgclass="totp-qr")


def _normalise_code(code: str) -> str:
    return "".join(code.split())


def verify_code(
    secret: str,
    code: str,
    last_used_step: int | None,
    *,
    now: float | None = None,
) -> int | None:
    """Check a TOTP code; return the time step it matched, or None.

    The code may contain spaces.  Codes of the current step and the one either side
    are accepted; a step at or before ``last_used_step`` is refused (replay).  Store
    the returned step as the new ``last_used_step``.  ``now`` (Unix time) is for tests.
    """
    candidate = _normalise_code(code)
    if len(candidate) != DIGITS or not (candidate.isascii() and candidate.isdigit()):
        return None
    current = int((time.time() if now is None else now) // INTERVAL)
    matched: int | None = None
    try:
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
        for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
            if step < 0 or (last_used_step is not None and step <= last_used_step):
                continue
            if hmac.compare_digest(totp.generate_otp(step), candidate):
                matched = step
    except ValueError:  # secret not valid base32 (binascii.Error) or too short
        return None
    return matched


def generate_recovery_codes(n: int = 10) -> list[str]:
    """Return ``n`` distinct random recovery codes formatted ``xxxx-xxxx``."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < n:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(2 * _RECOVERY_HALF))
        if raw in seen:
            continue
        seen.add(raw)
        codes.append(f"{raw[:_RECOVERY_HALF]}-{raw[_RECOVERY_HALF:]}")
    return codes


def _normalise_recovery_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def hash_recovery_code(code: str) -> str:
    """Return the SHA-256 hex digest of the normalised code (lowercase, no dashes or spaces)."""
    return hashlib.sha256(_normalise_recovery_code(code).encode("utf-8")).hexdigest()


def match_recovery_code(code: str, hashes: list[str]) -> str | None:
    """Return the stored hash that ``code`` matches, or None.

    Every hash is compared in constant time.  The caller deletes the returned hash
    so that each recovery code works once.
    """
    if not _normalise_recovery_code(code):
        return None
    digest = hash_recovery_code(code)
    matched: str | None = None
    for stored in hashes:
        if hmac.compare_digest(stored.encode("ascii", "replace"), digest.encode("ascii")):
            matched = stored
    return matched
