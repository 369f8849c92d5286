"""Password hashing (argon2id) and the password policy.

Hashes use argon2-cffi's ``PasswordHasher`` with its default RFC 9106 low-memory
parameters (argon2id).  Passwords are NFKC-normalised before hashing and
verifying, so the same password typed on different systems (composed or
decomposed accents, full-width digits, ...) verifies alike.

``check_password_policy`` returns *message ids* (the constants below); the caller
translates them.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "CONTAINS_USERNAME",
    "DUMMY_HASH",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "SAME_AS_EMAIL",
    "SAME_AS_USERNAME",
    "TOO_COMMON",
    "TOO_LONG",
    "TOO_SHORT",
    "check_password_policy",
    "common_passwords",
    "hash_password",
    "needs_rehash",
    "verify_dummy",
    "verify_password",
]

MIN_LENGTH = 10
MAX_LENGTH = 256
#: A username shorter than this may appear inside a password.
_MIN_USERNAME_CONTAINED = 4

TOO_SHORT = "password.too_short"
TOO_LONG = "password.too_long"
TOO_COMMON = "password.too_common"
SAME_AS_USERNAME = "password.same_as_username"
SAME_AS_EMAIL = "password.same_as_email"
CONTAINS_USERNAME = "password.contains_username"

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")

_hasher = PasswordHasher()

#: An argon2id hash of a throw-away password, computed on first access (see ``__getattr__``).
DUMMY_HASH: str


def _normalise(plain: str) -> str:
    return unicodedata.normalize("NFKC", plain)


def hash_password(plain: str) -> str:
    """Return an argon2id hash (PHC string) of ``plain``."""
    return _hasher.hash(_normalise(plain))


def verify_password(hashed: str, plain: str) -> bool:
    """Return True if ``plain`` matches ``hashed``; False on mismatch or an invalid hash."""
    try:
        return _hasher.verify(hashed, _normalise(plain))
    except (VerificationError, InvalidHashError, UnicodeError, TypeError, ValueError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Return True if ``hashed`` was made with other parameters than the current ones.

    An unparsable hash also needs replacing, so it returns True too.
    """
    try:
        return _hasher.check_needs_rehash(hashed)
    except (InvalidHashError, TypeError, ValueError):
        return True


@cache
def _dummy_hash() -> str:
    return _hasher.hash("guanxi-dummy-password-for-timing")


def __getattr__(name: str) -> str:
    # DUMMY_HASH is computed on first access (hashing costs ~50 ms and 64 MiB).
    if name == "DUMMY_HASH":
        return _dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def verify_dummy(plain: str) -> bool:
    """Spend the time of a real verification against a dummy hash; always False.

    Call it when the user is unknown, so that the response time does not tell
    whether an account exists.
    """
    verify_password(_dummy_hash(), plain)
    return False


@cache
def common_passwords() -> frozenset[str]:
    """Return the bundled list of common passwords (lowercase), loaded once."""
    text = _COMMON_FILE.read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def check_password_policy(password: str, username: str = "", email: str = "") -> list[str]:
    """Return the message ids of the policy rules ``password`` breaks (empty list: accepted).

    Rules: at least ``MIN_LENGTH`` and at most ``MAX_LENGTH`` code points; not in the
    bundled common-password list; not the username or the e-mail's local part; and
    not containing the username when that is at least 4 characters long.  All
    comparisons ignore case.
    """
    errors: list[str] = []
    length = len(password)
    if length < MIN_LENGTH:
        errors.append(TOO_SHORT)
    if length > MAX_LENGTH:
        errors.append(TOO_LONG)

    folded = password.casefold()
    if folded in common_passwords():
        errors.append(TOO_COMMON)

    user = username.strip().casefold()
    if user and folded == user:
        errors.append(SAME_AS_USERNAME)
    elif len(user) >= _MIN_USERNAME_CONTAINED and user in folded:
        errors.append(CONTAINS_USERNAME)

    local_part = email.strip().rpartition("@")[0].casefold() if "@" in email else ""
    if local_part and folded == local_part and SAME_AS_USERNAME not in errors:
        errors.append(SAME_AS_EMAIL)
    return errors
