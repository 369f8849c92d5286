"""Field-level encryption for sensitive columns (ID numbers, bank accounts).

* :class:`KeyRing` holds named AES-256-GCM keys plus a separate HMAC key for blind indexes.
* Tokens look like ``"<key_id>$<base64url(nonce + ciphertext)>"``; the key id is also bound
  into the GCM associated data so a token cannot be relabelled to another key.
* :class:`EncryptedString` is a SQLAlchemy type that encrypts with the *active* keyring
  (see :func:`configure_keyring`), and :func:`reencrypt_column` moves old values to the
  current key after :meth:`KeyRing.rotate`.
* :func:`blind_index` gives a deterministic HMAC for exact-match lookups; :func:`mask` is for
  display.

Key material never appears in ``repr()``, exceptions or logs.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, bindparam, select, tuple_, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, Null
from sqlalchemy.types import TypeDecorator

__all__ = [
    "KEY_FILE_NAME",
    "SETTINGS_INDEX_KEY",
    "SETTINGS_KEYS",
    "CryptoError",
    "DecryptionError",
    "EncryptedString",
    "KeyRing",
    "KeyRingError",
    "KeyRingNotConfiguredError",
    "blind_index",
    "clear_keyring",
    "configure_keyring",
    "decrypt",
    "encrypt",
    "encrypted_length",
    "generate_key_b64",
    "get_keyring",
    "mask",
    "needs_reencrypt",
    "normalise_identifier",
    "reencrypt_column",
]

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.keys"
SETTINGS_KEYS = "guanxi.encryption_keys"
SETTINGS_INDEX_KEY = "guanxi.blind_index_key"

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
TAG_BYTES = 16
BLIND_INDEX_CHARS = 32
SEPARATOR = "$"

_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_ROTATION_ID_RE = re.compile(r"^k(\d+)$")
_INDEX_KEY_INFO = b"guanxi blind index v1"


class CryptoError(Exception):
    """Base class for errors raised by this module."""


class DecryptionError(CryptoError):
    """A token is malformed, was tampered with, or uses an unknown key id."""


class KeyRingError(CryptoError):
    """The key configuration (settings or key file) is missing or invalid."""


class KeyRingNotConfiguredError(KeyRingError, RuntimeError):
    """No active keyring: call :func:`configure_keyring` at application startup."""


# --------------------------------------------------------------------------- helpers


def _b64decode_key(value: str, what: str) -> bytes:
    """Decode standard or url-safe base64 (padding optional) into exactly 32 bytes."""
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"{what} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyRingError(f"{what} must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def _b64encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not _KEY_ID_RE.match(key_id):
        raise KeyRingError(f"invalid key id {key_id!r}: use 1-32 characters from A-Z a-z 0-9 _ . -")
    return key_id


def _derive_index_key(master: bytes) -> bytes:
    """HKDF-SHA256 (single block) of ``master`` for the blind-index HMAC key."""
    prk = hmac.new(b"\x00" * 32, master, hashlib.sha256).digest()
    return hmac.new(prk, _INDEX_KEY_INFO + b"\x01", hashlib.sha256).digest()


def generate_key_b64() -> str:
    """Return a fresh random 32-byte key as base64, e.g. for ``guanxi.encryption_keys``."""
    return _b64encode_key(secrets.token_bytes(KEY_BYTES))


def _write_private(path: Path, data: bytes, *, replace: bool) -> bool:
    """Atomically write ``data`` to ``path`` with mode 0600.

    With ``replace=False`` the file is only created if absent; returns False if it already
    existed (another process won the race). Readers never see a partially written file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # exact mode regardless of umask
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic create-if-absent
            except FileExistsError:
                return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    try:  # make the directory entry durable; best effort
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return True
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return True


# --------------------------------------------------------------------------- KeyRing


class KeyRing:
    """Named AES-256 keys (``key_id -> 32 bytes``), the current key id and a blind-index key.

    Encrypts with the current key; decrypts with whichever key a token names.
    """

    def __init__(
        self,
        keys: Mapping[str, bytes],
        current_id: str,
        index_key: bytes,
        *,
        source: str | None = None,
    ) -> None:
        """Build a keyring; ``source`` is ``"settings"``, a key-file path, or None."""
        if not keys:
            raise KeyRingError("a keyring needs at least one key")
        checked: dict[str, bytes] = {}
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes")
            checked[key_id] = key
        if current_id not in checked:
            raise KeyRingError(f"current key id {current_id!r} is not in the keyring")
        if not isinstance(index_key, bytes) or len(index_key) < 16:
            raise KeyRingError("the blind-index key must be at least 16 bytes")
        self._keys = checked
        self._aead = {key_id: AESGCM(key) for key_id, key in checked.items()}
        self._current_id = current_id
        self._index_key = index_key
        self._source = source
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- construction

    @classmethod
    def generate(cls, key_id: str = "k1") -> KeyRing:
        """Return a new in-memory keyring with one random key and a random index key."""
        return cls({key_id: secrets.token_bytes(KEY_BYTES)}, key_id, secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], var_dir: Path) -> KeyRing:
        """Load keys from ``guanxi.encryption_keys`` or else from ``var_dir/encryption.keys``.

        Settings format: ``id1:base64key,id2:base64key`` (first = current; commas and/or
        whitespace separate entries). The blind-index key comes from
        ``guanxi.blind_index_key`` (base64) if set, otherwise it is derived from the *last*
        listed key, so keep that (oldest) key in the list for as long as indexes exist.
        Without the setting, the key file is read, or created (mode 0600) if absent.
        """
        spec = settings.get(SETTINGS_KEYS)
        if isinstance(spec, str) and spec.strip():
            return cls._from_spec(spec, settings.get(SETTINGS_INDEX_KEY))
        if spec not in (None, "") and not isinstance(spec, str):
            raise KeyRingError(f"{SETTINGS_KEYS} must be a string")
        return cls._load_or_create_file(Path(var_dir) / KEY_FILE_NAME)

    @classmethod
    def _from_spec(cls, spec: str, index_b64: object) -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for entry in re.split(r"[,\s]+", spec.strip()):
            if not entry:
                continue
            key_id, sep, b64 = entry.partition(":")
            if not sep:
                raise KeyRingError(f"{SETTINGS_KEYS}: entry {key_id!r} is not 'id:base64key'")
            _check_key_id(key_id)
            if key_id in keys:
                raise KeyRingError(f"{SETTINGS_KEYS}: duplicate key id {key_id!r}")
            keys[key_id] = _b64decode_key(b64, f"{SETTINGS_KEYS} key {key_id!r}")
            order.append(key_id)
        if not order:
            raise KeyRingError(f"{SETTINGS_KEYS} contains no keys")
        if isinstance(index_b64, str) and index_b64.strip():
            index_key = _b64decode_key(index_b64, SETTINGS_INDEX_KEY)
        else:
            index_key = _derive_index_key(keys[order[-1]])
        return cls(keys, order[0], index_key, source="settings")

    @classmethod
    def _load_or_create_file(cls, path: Path) -> KeyRing:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            ring = cls.generate("k1")
            if _write_private(path, ring._to_json(), replace=False):
                log.info("created new encryption key file %s", path)
                ring._source = str(path)
                return ring
            # Lost a creation race with another process: use its file.
        return cls._read_file(path)

    @classmethod
    def _read_file(cls, path: Path) -> KeyRing:
        try:
            mode = path.stat().st_mode & 0o777
            raw = path.read_bytes()
        except OSError as exc:
            raise KeyRingError(f"cannot read key file {path}: {exc.strerror}") from None
        if mode & 0o077:
            log.warning("key file %s has mode %o; it should be 0600", path, mode)
        try:
            data = json.loads(raw)
            current = data["current"]
            keys_b64 = data["keys"]
            index_b64 = data["index_key"]
            if not isinstance(keys_b64, dict) or not all(
                isinstance(v, str) for v in keys_b64.values()
            ):
                raise TypeError("keys")
            if not isinstance(current, str) or not isinstance(index_b64, str):
                raise TypeError("current/index_key")
        except (ValueError, KeyError, TypeError):
            raise KeyRingError(
                f"key file {path} is not valid JSON with 'current', 'keys', 'index_key'"
            ) from None
        keys = {kid: _b64decode_key(b64, f"{path} key {kid!r}") for kid, b64 in keys_b64.items()}
        index_key = _b64decode_key(index_b64, f"{path} index_key")
        return cls(keys, current, index_key, source=str(path))

    def _to_json(
        self, keys: Mapping[str, bytes] | None = None, current: str | None = None
    ) -> bytes:
        doc = {
            "current": current or self._current_id,
            "keys": {kid: _b64encode_key(k) for kid, k in (keys or self._keys).items()},
            "index_key": _b64encode_key(self._index_key),
        }
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("ascii")

    # ----------------------------------------------------------------- accessors

    @property
    def current_id(self) -> str:
        """Id of the key used for new encryptions."""
        return self._current_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids usable for decryption."""
        return tuple(self._keys)

    @property
    def source(self) -> str | None:
        """``"settings"``, the key-file path, or None for an in-memory keyring."""
        return self._source

    def __repr__(self) -> str:
        return (
            f"<KeyRing current={self._current_id!r} ids={list(self._keys)!r} "
            f"source={self._source!r}>"
        )

    # ----------------------------------------------------------------- rotation

    def rotate(self, var_dir: Path) -> str:
        """Add a new random key, make it current, persist to ``var_dir`` (0600); return its id.

        Old keys stay for decryption. The file is written before the in-memory ring changes,
        so a failed write never leaves data encrypted under an unsaved key. Refuses to
        rotate settings-provided keys (add a key to ``guanxi.encryption_keys`` instead) and
        to overwrite a key file holding keys this ring does not know.
        """
        if self._source == "settings":
            raise KeyRingError(
                f"keys come from the {SETTINGS_KEYS} setting; add a new key there "
                "(first entry = current) instead of rotating the key file"
            )
        path = Path(var_dir) / KEY_FILE_NAME
        with self._lock:
            if path.exists():
                on_disk = self._read_file(path)
                foreign = [
                    kid
                    for kid in on_disk._keys
                    if not hmac.compare_digest(on_disk._keys[kid], self._keys.get(kid, b""))
                ]
                if foreign or not hmac.compare_digest(on_disk._index_key, self._index_key):
                    raise KeyRingError(
                        f"key file {path} holds keys that differ from this keyring; "
                        "refusing to overwrite it"
                    )
            numbers = [int(m.group(1)) for k in self._keys if (m := _ROTATION_ID_RE.match(k))]
            new_id = f"k{max(numbers, default=0) + 1}"
            while new_id in self._keys:  # pragma: no cover - only with odd manual ids
                new_id = f"k{int(new_id[1:]) + 1}"
            new_key = secrets.token_bytes(KEY_BYTES)
            keys = {**self._keys, new_id: new_key}
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_private(path, self._to_json(keys, new_id), replace=True)
            self._keys = keys
            self._aead = {**self._aead, new_id: AESGCM(new_key)}
            self._current_id = new_id
            self._source = str(path)
        log.info("rotated encryption key: new current key id %s", new_id)
        return new_id

    # ----------------------------------------------------------------- operations

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` with the current key; returns ``"<key_id>$<base64url>"``."""
        if not isinstance(plaintext, str):
            raise TypeError(f"encrypt() expects str, got {type(plaintext).__name__}")
        key_id = self._current_id
        aead = self._aead[key_id]
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), key_id.encode("ascii"))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{key_id}{SEPARATOR}{body}"

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt`; raises :class:`DecryptionError` on failure."""
        if not isinstance(token, str):
            raise DecryptionError(f"expected an encrypted str token, got {type(token).__name__}")
        key_id, sep, body = token.partition(SEPARATOR)
        if not sep or not key_id:
            raise DecryptionError("value is not an encrypted token (missing '<key_id>$' prefix)")
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptionError(f"unknown encryption key id {key_id!r}")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError(f"corrupt token for key {key_id!r}: bad base64") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError(f"corrupt token for key {key_id!r}: too short")
        try:
            data = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode("ascii"))
        except InvalidTag:
            raise DecryptionError(
                f"token for key {key_id!r} failed authentication (tampered or wrong key)"
            ) from None
        return data.decode("utf-8")

    def needs_reencrypt(self, token: str) -> bool:
        """True if ``token`` is not encrypted with the current key."""
        return token.partition(SEPARATOR)[0] != self._current_id

    def blind_index(self, value: str, normalise: Callable[[str], str] | None = None) -> str:
        """HMAC-SHA256 (index key) of the normalised value, hex, first 32 characters."""
        norm = (normalise or normalise_identifier)(value)
        digest = hmac.new(self._index_key, norm.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:BLIND_INDEX_CHARS]


def normalise_identifier(value: str) -> str:
    """Default blind-index normalisation: NFKC, remove all whitespace, uppercase.

    NFKC folds full-width digits/letters typed with Chinese IMEs (``１１０`` -> ``110``) and
    whitespace removal includes the ideographic space U+3000.
    """
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


# --------------------------------------------------------------------------- active keyring

_active: KeyRing | None = None


def configure_keyring(ring: KeyRing) -> None:
    """Set the process-wide keyring used by :class:`EncryptedString` and module helpers."""
    global _active
    if not isinstance(ring, KeyRing):
        raise TypeError(f"configure_keyring() expects a KeyRing, got {type(ring).__name__}")
    _active = ring


def clear_keyring() -> None:
    """Unset the active keyring (mainly for tests)."""
    global _active
    _active = None


def get_keyring() -> KeyRing:
    """Return the active keyring or raise :class:`KeyRingNotConfiguredError`."""
    if _active is None:
        raise KeyRingNotConfiguredError(
            "encryption keyring is not configured; call "
            "core.crypto.configure_keyring(KeyRing.from_settings(settings, var_dir)) at startup"
        )
    return _active


def encrypt(plaintext: str) -> str:
    """Encrypt with the active keyring's current key."""
    return get_keyring().encrypt(plaintext)


def decrypt(token: str) -> str:
    """Decrypt with the active keyring; raises :class:`DecryptionError` on failure."""
    return get_keyring().decrypt(token)


def needs_reencrypt(token: str) -> bool:
    """True if ``token``'s key id is not the active keyring's current key id."""
    return get_keyring().needs_reencrypt(token)


def blind_index(value: str, normalise: Callable[[str], str] | None = None) -> str:
    """Blind index of ``value`` with the active keyring (see :meth:`KeyRing.blind_index`)."""
    return get_keyring().blind_index(value, normalise)


def encrypted_length(max_chars: int, key_id_chars: int = 8) -> int:
    """Column length needed to store a token for plaintext of up to ``max_chars`` characters.

    Assumes the worst case of 4 UTF-8 bytes per character and key ids up to
    ``key_id_chars`` long.
    """
    sealed = NONCE_BYTES + 4 * max_chars + TAG_BYTES
    return key_id_chars + len(SEPARATOR) + (4 * sealed + 2) // 3


# --------------------------------------------------------------------------- SQLAlchemy

_BLOCKED_OPERATORS = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.in_op,
        operators.not_in_op,
        operators.like_op,
        operators.not_like_op,
        operators.ilike_op,
        operators.not_ilike_op,
        operators.contains_op,
        operators.startswith_op,
        operators.endswith_op,
        operators.between_op,
        operators.is_distinct_from,
        operators.is_not_distinct_from,
    }
)


def _is_null(other: object) -> bool:
    return other is None or isinstance(other, Null)


class EncryptedString(TypeDecorator[str]):
    """A ``String`` column storing AES-GCM tokens made with the active keyring.

    ``length`` is the *database* column length; size it with :func:`encrypted_length`.
    Values are checked against it on write. Equality/LIKE/IN comparisons against
    non-NULL values raise ``TypeError`` (ciphertexts are randomised, so they could never
    match): query a :func:`blind_index` column instead.
    """

    impl = String
    cache_ok = True

    class Comparator(TypeDecorator.Comparator[str], String.Comparator[str]):
        """Blocks value comparisons that can never match randomised ciphertext."""

        def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            if op in _BLOCKED_OPERATORS and not (
                op in (operators.eq, operators.ne) and other and _is_null(other[0])
            ):
                raise TypeError(
                    "cannot compare an EncryptedString column by value (ciphertext is "
                    "randomised); look it up through a blind_index() column"
                )
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> ColumnElement[Any]:
            if op in _BLOCKED_OPERATORS and not _is_null(other):
                raise TypeError("cannot compare an EncryptedString column by value")
            return super().reverse_operate(op, other, **kwargs)

    comparator_factory = Comparator  # type: ignore[assignment]

    def __init__(self, length: int | None = None, **kwargs: Any) -> None:
        """``length`` is passed to ``String`` (the stored token length)."""
        super().__init__(length, **kwargs)

    @property
    def python_type(self) -> type[str]:
        """Python values are ``str``."""
        return str

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Encrypt ``str`` values with the active keyring; pass None through."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedString expects str or None, got {type(value).__name__}")
        token = get_keyring().encrypt(value)
        length = getattr(self.impl_instance, "length", None)
        if length is not None and len(token) > length:
            raise ValueError(
                f"encrypted value needs {len(token)} characters but the column allows "
                f"{length}; size it with encrypted_length()"
            )
        return token

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        """Decrypt stored tokens with the active keyring; pass None through."""
        if value is None:
            return None
        return get_keyring().decrypt(value)


def _resolve_column(table_column: Any) -> Any:
    """Return the plain Core ``Column`` for an ORM attribute or Core column."""
    prop = getattr(table_column, "property", None)
    if prop is not None and hasattr(prop, "columns"):
        if len(prop.columns) != 1:
            raise TypeError("reencrypt_column() needs an attribute mapped to exactly one column")
        column = prop.columns[0]
    else:
        column = table_column
    table = getattr(column, "table", None)
    if table is None or not hasattr(table, "c") or not hasattr(table, "primary_key"):
        raise TypeError("reencrypt_column() needs a table column or a mapped attribute")
    if hasattr(table, "_deannotate"):
        table = table._deannotate()
    return table.c[column.key]


def reencrypt_column(session: Session, table_column: Any, batch_size: int = 500) -> int:
    """Re-encrypt every value of an ``EncryptedString`` column not under the current key.

    ``table_column`` is a mapped attribute (``Customer.id_number``) or a Core ``Column``.
    Works in primary-key-ordered batches with Core SELECT/UPDATE (tokens are read raw, never
    via the ORM); does not commit - the caller does. Returns the number of rows updated.
    Raises :class:`DecryptionError` on a value that cannot be decrypted (nothing is
    committed by this function, so the caller can roll back).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    ring = get_keyring()
    column = _resolve_column(table_column)
    table = column.table
    pk_cols = list(table.primary_key.columns)
    if not pk_cols:
        raise TypeError(f"table {table.name!r} has no primary key")
    if not isinstance(column.type, EncryptedString):
        raise TypeError(f"column {column.key!r} is not an EncryptedString column")

    raw = type_coerce(column, String)
    current_prefix = ring.current_id + SEPARATOR
    pattern = current_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        select(*pk_cols, raw.label("token"))
        .where(raw.is_not(None), raw.not_like(pattern + "%", escape="\\"))
        .order_by(*pk_cols)
        .limit(batch_size)
    )
    pk_names = [f"gx_pk_{i}" for i in range(len(pk_cols))]
    stmt = (
        update(table)
        .where(*[col == bindparam(name) for col, name in zip(pk_cols, pk_names, strict=True)])
        .values({column.key: bindparam("gx_token", type_=String())})
    )
    check_rowcount = session.connection().dialect.supports_sane_multi_rowcount
    total = 0
    last: tuple[Any, ...] | None = None
    while True:
        # Keyset pagination: never revisits a row, so a batch can't be processed twice.
        page = query
        if last is not None:
            page = query.where(
                pk_cols[0] > last[0] if len(pk_cols) == 1 else tuple_(*pk_cols) > tuple_(*last)
            )
        rows = session.execute(page).all()
        if not rows:
            return total
        last = tuple(rows[-1][:-1])
        params = [
            {
                **dict(zip(pk_names, row[:-1], strict=True)),
                "gx_token": ring.encrypt(ring.decrypt(row[-1])),
            }
            for row in rows
        ]
        result = session.execute(stmt, params)
        updated = getattr(result, "rowcount", -1)
        if check_rowcount and updated is not None and 0 <= updated != len(params):
            raise CryptoError(f"re-encryption updated {updated} of {len(params)} rows; aborting")
        total += len(params)


# --------------------------------------------------------------------------- masking

MIN_MASKED = 4


def mask(value: str | None, keep_start: int = 6, keep_end: int = 4, char: str = "*") -> str:
    """Mask a value for display, keeping ``keep_start`` leading and ``keep_end`` trailing chars.

    ``mask("11010519491231002X") == "110105********002X"``. If that would hide fewer than
    4 characters the value counts as short: everything is masked except the last 2
    (values of 3-6 chars: the last 1; 1-2 chars: none), never more than ``keep_end``.
    The result has the same length as the input; None gives "".
    """
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end must be >= 0")
    if len(char) != 1:
        raise ValueError("char must be a single character")
    if value is None:
        return ""
    n = len(value)
    if n - keep_start - keep_end >= MIN_MASKED:
        start, end = keep_start, keep_end
    else:
        start = 0
        end = min(keep_end, 0 if n <= 2 else 1 if n <= 6 else 2)
    tail = value[n - end :] if end else ""
    return value[:start] + char * (n - start - end) + tail
