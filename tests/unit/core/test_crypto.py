"""Tests for core.crypto: field-level encryption, blind indexes, key rotation, masking."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String, create_engine, event, select, type_coerce
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core import crypto
from core.crypto import (
    DecryptionError,
    EncryptedString,
    KeyRing,
    KeyRingError,
    KeyRingNotConfiguredError,
    blind_index,
    configure_keyring,
    decrypt,
    encrypt,
    encrypted_length,
    get_keyring,
    mask,
    needs_reencrypt,
    reencrypt_column,
)

ID_NUMBER = "11010519491231002X"
BANK_ACCOUNT = "6222020200112233445"


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedString(encrypted_length(40)))
    id_number_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    note: Mapped[str | None] = mapped_column(String(200))


@pytest.fixture
def ring() -> Iterator[KeyRing]:
    """A fresh in-memory keyring, active for the duration of the test."""
    ring = KeyRing.generate()
    configure_keyring(ring)
    yield ring
    crypto.clear_keyring()


@pytest.fixture
def file_ring(tmp_path: Path) -> Iterator[KeyRing]:
    """A keyring backed by ``tmp_path/encryption.keys``, active for the test."""
    ring = KeyRing.from_settings({}, tmp_path)
    configure_keyring(ring)
    yield ring
    crypto.clear_keyring()


def _sqlite_engine(path: Path, *, wal: bool = True):
    engine = create_engine(f"sqlite:///{path}")
    if wal:

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _record):  # pragma: no cover - trivial
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

    Base.metadata.create_all(engine)
    return engine


def _raw_db_bytes(db_path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal", "-shm"):
        candidate = Path(str(db_path) + suffix)
        if candidate.exists():
            data += candidate.read_bytes()
    return data


def _raw_tokens(session: Session) -> dict[int, str | None]:
    rows = session.execute(select(Person.id, type_coerce(Person.id_number, String))).all()
    return {pk: token for pk, token in rows}


# --------------------------------------------------------------------------- encrypt/decrypt


def test_round_trip(ring: KeyRing) -> None:
    for value in (ID_NUMBER, BANK_ACCOUNT, "", "张三 𠮷 😀"):
        token = encrypt(value)
        assert token != value
        assert decrypt(token) == value
        assert ring.decrypt(ring.encrypt(value)) == value


def test_token_format(ring: KeyRing) -> None:
    token = ring.encrypt(ID_NUMBER)
    key_id, sep, body = token.partition("$")
    assert (key_id, sep) == ("k1", "$")
    assert ID_NUMBER not in token
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    # 12-byte nonce + ciphertext (same length as plaintext) + 16-byte GCM tag
    assert len(raw) == 12 + len(ID_NUMBER) + 16
    assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_same_plaintext_encrypts_differently(ring: KeyRing) -> None:
    first, second = ring.encrypt(ID_NUMBER), ring.encrypt(ID_NUMBER)
    assert first != second
    nonce_1 = base64.urlsafe_b64decode(first.split("$")[1] + "==")[:12]
    nonce_2 = base64.urlsafe_b64decode(second.split("$")[1] + "==")[:12]
    assert nonce_1 != nonce_2
    assert ring.decrypt(first) == ring.decrypt(second) == ID_NUMBER


def _flip_char(text: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    old = text[index]
    new = alphabet[(alphabet.index(old) + 1) % len(alphabet)]
    return text[:index] + new + text[index + 1 :]


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
def test_tampered_ciphertext_raises(ring: KeyRing, where: str) -> None:
    token = ring.encrypt(ID_NUMBER)
    prefix, body = token.split("$")
    index = {"nonce": 2, "ciphertext": 20, "tag": len(body) - 3}[where]
    tampered = f"{prefix}${_flip_char(body, index)}"
    assert tampered != token
    with pytest.raises(DecryptionError, match="tampered"):
        ring.decrypt(tampered)


def test_truncated_and_malformed_tokens_raise(ring: KeyRing) -> None:
    token = ring.encrypt(ID_NUMBER)
    for bad in (token[:-4], "k1$", "k1$AAAA", "k1$!!!not base64!!!", ID_NUMBER, "$abc", ""):
        with pytest.raises(DecryptionError):
            ring.decrypt(bad)


def test_unknown_key_id_raises(ring: KeyRing) -> None:
    token = KeyRing.generate("k9").encrypt(ID_NUMBER)
    with pytest.raises(DecryptionError, match="unknown encryption key id 'k9'"):
        ring.decrypt(token)


def test_other_ring_with_same_key_id_cannot_decrypt(ring: KeyRing) -> None:
    token = KeyRing.generate("k1").encrypt(ID_NUMBER)
    with pytest.raises(DecryptionError):
        ring.decrypt(token)


def test_relabelled_key_id_is_rejected() -> None:
    """The key id is authenticated data: moving a token to another key id fails."""
    k = os.urandom(32)
    ring = KeyRing({"k1": k, "k2": k}, "k1", os.urandom(32))
    token = ring.encrypt(ID_NUMBER)
    with pytest.raises(DecryptionError):
        ring.decrypt("k2$" + token.split("$", 1)[1])


def test_encrypt_rejects_non_str(ring: KeyRing) -> None:
    with pytest.raises(TypeError):
        ring.encrypt(b"bytes")  # type: ignore[arg-type]


def test_repr_does_not_leak_keys(tmp_path: Path) -> None:
    ring = KeyRing.from_settings({}, tmp_path)
    data = json.loads((tmp_path / "encryption.keys").read_text())
    text = repr(ring)
    assert "k1" in text
    for b64 in [*data["keys"].values(), data["index_key"]]:
        assert b64 not in text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_round_trip_property(value: str) -> None:
    ring = _PROPERTY_RING
    token = ring.encrypt(value)
    assert token.startswith("k1$")
    assert ring.decrypt(token) == value


_PROPERTY_RING = KeyRing.generate()


@pytest.mark.parametrize("value", ["𠮷野家", "😀👨‍👩‍👧", "\x00", "a$b:c,d", "ｆｕｌｌ　ｗｉｄｔｈ"])
def test_round_trip_awkward_text(ring: KeyRing, value: str) -> None:
    assert ring.decrypt(ring.encrypt(value)) == value


# --------------------------------------------------------------------------- active keyring


def test_get_keyring_unconfigured_raises() -> None:
    crypto.clear_keyring()
    with pytest.raises(KeyRingNotConfiguredError, match="configure_keyring"):
        get_keyring()
    with pytest.raises(KeyRingNotConfiguredError):
        encrypt("x")


def test_configure_keyring(ring: KeyRing) -> None:
    assert get_keyring() is ring
    with pytest.raises(TypeError):
        configure_keyring("not a ring")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- blind index


def test_blind_index_equal_for_equal_normalised_input(ring: KeyRing) -> None:
    expected = blind_index(ID_NUMBER)
    assert len(expected) == 32
    assert all(c in "0123456789abcdef" for c in expected)
    for variant in (
        " 11010519491231002x ",
        "110105 19491231 002X",
        "110105\u300019491231002x",  # ideographic space
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width IME input
    ):
        assert blind_index(variant) == expected


def test_blind_index_differs_for_different_input(ring: KeyRing) -> None:
    assert blind_index(ID_NUMBER) != blind_index("110105194912310029")
    assert blind_index(BANK_ACCOUNT) != blind_index(BANK_ACCOUNT[:-1] + "6")
    assert blind_index("") != blind_index("0")


def test_blind_index_depends_on_index_key_not_encryption_key() -> None:
    key = os.urandom(32)
    a = KeyRing({"k1": key}, "k1", os.urandom(32))
    b = KeyRing({"k1": key}, "k1", os.urandom(32))
    assert a.blind_index(ID_NUMBER) != b.blind_index(ID_NUMBER)


def test_blind_index_custom_normaliser(ring: KeyRing) -> None:
    def digits(value: str) -> str:
        return "".join(c for c in value if c.isdigit())

    assert blind_index("6222-0202-0011", normalise=digits) == blind_index(
        "622202020011", normalise=digits
    )
    # default normaliser keeps the hyphens, so these differ
    assert blind_index("6222-0202-0011") != blind_index("622202020011")


def test_blind_index_survives_rotation(file_ring: KeyRing, tmp_path: Path) -> None:
    before = blind_index(ID_NUMBER)
    file_ring.rotate(tmp_path)
    assert blind_index(ID_NUMBER) == before
    assert KeyRing.from_settings({}, tmp_path).blind_index(ID_NUMBER) == before


# --------------------------------------------------------------------------- key file


def test_key_file_created_with_mode_0600(tmp_path: Path) -> None:
    old_umask = os.umask(0o000)  # even a permissive umask must not widen the mode
    try:
        KeyRing.from_settings({}, tmp_path / "var")
    finally:
        os.umask(old_umask)
    path = tmp_path / "var" / "encryption.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["current"] == "k1"
    assert set(data["keys"]) == {"k1"}
    assert len(base64.b64decode(data["keys"]["k1"])) == 32
    assert len(base64.b64decode(data["index_key"])) == 32
    assert data["index_key"] != data["keys"]["k1"]
    assert not list((tmp_path / "var").glob("*.tmp"))


def test_key_file_is_reused(tmp_path: Path) -> None:
    first = KeyRing.from_settings({}, tmp_path)
    content = (tmp_path / "encryption.keys").read_bytes()
    second = KeyRing.from_settings({"guanxi.encryption_keys": ""}, tmp_path)
    assert (tmp_path / "encryption.keys").read_bytes() == content
    assert second.decrypt(first.encrypt(ID_NUMBER)) == ID_NUMBER
    assert second.blind_index(ID_NUMBER) == first.blind_index(ID_NUMBER)


def test_corrupt_key_file_is_an_error_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "encryption.keys"
    path.write_text("{not json")
    with pytest.raises(KeyRingError, match="not valid JSON"):
        KeyRing.from_settings({}, tmp_path)
    assert path.read_text() == "{not json"


def test_rotate_persists_and_keeps_old_keys(file_ring: KeyRing, tmp_path: Path) -> None:
    old_token = file_ring.encrypt(ID_NUMBER)
    new_id = file_ring.rotate(tmp_path)
    assert new_id == "k2"
    assert file_ring.current_id == "k2"
    assert file_ring.key_ids == ("k1", "k2")
    assert file_ring.encrypt("x").startswith("k2$")
    assert file_ring.decrypt(old_token) == ID_NUMBER
    assert needs_reencrypt(old_token)
    assert not needs_reencrypt(file_ring.encrypt("x"))

    path = tmp_path / "encryption.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reloaded = KeyRing.from_settings({}, tmp_path)
    assert reloaded.current_id == "k2"
    assert reloaded.decrypt(old_token) == ID_NUMBER
    assert file_ring.rotate(tmp_path) == "k3"
    assert KeyRing.from_settings({}, tmp_path).key_ids == ("k1", "k2", "k3")


def test_rotate_refuses_to_clobber_foreign_key_file(tmp_path: Path) -> None:
    KeyRing.from_settings({}, tmp_path)  # creates a file with other keys
    stranger = KeyRing.generate()
    before = (tmp_path / "encryption.keys").read_bytes()
    with pytest.raises(KeyRingError, match="refusing to overwrite"):
        stranger.rotate(tmp_path)
    assert (tmp_path / "encryption.keys").read_bytes() == before
    assert stranger.current_id == "k1"


# --------------------------------------------------------------------------- settings


def test_from_settings_uses_setting_first_key_current(tmp_path: Path) -> None:
    k_new, k_old = os.urandom(32), os.urandom(32)
    spec = (
        f"k2:{base64.b64encode(k_new).decode()},\n"
        f"  k1:{base64.urlsafe_b64encode(k_old).decode().rstrip('=')}"
    )
    ring = KeyRing.from_settings({"guanxi.encryption_keys": spec}, tmp_path)
    assert ring.current_id == "k2"
    assert ring.key_ids == ("k2", "k1")
    assert not (tmp_path / "encryption.keys").exists()
    old_ring = KeyRing({"k1": k_old}, "k1", os.urandom(32))
    assert ring.decrypt(old_ring.encrypt(ID_NUMBER)) == ID_NUMBER
    # blind index derived from the oldest (last-listed) key: stable when a key is prepended
    only_old = KeyRing.from_settings(
        {"guanxi.encryption_keys": f"k1:{base64.b64encode(k_old).decode()}"}, tmp_path
    )
    assert only_old.blind_index(ID_NUMBER) == ring.blind_index(ID_NUMBER)
    with pytest.raises(KeyRingError, match="add a new key there"):
        ring.rotate(tmp_path)


def test_from_settings_explicit_index_key(tmp_path: Path) -> None:
    key, index = os.urandom(32), os.urandom(32)
    ring = KeyRing.from_settings(
        {
            "guanxi.encryption_keys": f"a:{base64.b64encode(key).decode()}",
            "guanxi.blind_index_key": base64.b64encode(index).decode(),
        },
        tmp_path,
    )
    assert ring.blind_index("X") == KeyRing({"b": os.urandom(32)}, "b", index).blind_index("X")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("k1", "not 'id:base64key'"),
        ("k1:c2hvcnQ=", "must decode to 32 bytes"),
        ("k1:***", "not valid base64"),
        (f"k$1:{base64.b64encode(bytes(32)).decode()}", "invalid key id"),
        (
            f"k1:{base64.b64encode(bytes(32)).decode()},k1:{base64.b64encode(bytes(32)).decode()}",
            "duplicate key id",
        ),
    ],
)
def test_from_settings_invalid(tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message):
        KeyRing.from_settings({"guanxi.encryption_keys": spec}, tmp_path)


# --------------------------------------------------------------------------- SQLAlchemy


def test_encrypted_string_hides_plaintext_in_sqlite_file(ring: KeyRing, tmp_path: Path) -> None:
    db_path = tmp_path / "crm.db"
    engine = _sqlite_engine(db_path)
    control = "PLAINTEXT-CONTROL-7731"
    with Session(engine) as session:
        session.add(
            Person(
                id=1,
                id_number=ID_NUMBER,
                id_number_bidx=blind_index(ID_NUMBER),
                note=control,
            )
        )
        session.add(Person(id=2, id_number="张三𠮷", note=None))
        session.commit()
    engine.dispose()

    raw = _raw_db_bytes(db_path)
    assert control.encode() in raw  # the scan really sees stored text
    for secret in (ID_NUMBER, "张三𠮷"):
        assert secret.encode("utf-8") not in raw
        assert secret.encode("utf-16-le") not in raw
    assert b"k1$" in raw

    engine = _sqlite_engine(db_path)
    with Session(engine) as session:
        person = session.get(Person, 1)
        assert person is not None
        assert person.id_number == ID_NUMBER
        found = session.scalars(
            select(Person).where(Person.id_number_bidx == blind_index(" 11010519491231002x"))
        ).one()
        assert found.id == 1
        assert session.get(Person, 2).id_number == "张三𠮷"  # type: ignore[union-attr]
        tokens = _raw_tokens(session)
        assert tokens[1] is not None
        assert tokens[1].startswith("k1$")
    engine.dispose()


def test_encrypted_string_none_and_type_errors(ring: KeyRing, tmp_path: Path) -> None:
    engine = _sqlite_engine(tmp_path / "n.db", wal=False)
    with Session(engine) as session:
        session.add(Person(id=1, id_number=None))
        session.commit()
        assert _raw_tokens(session)[1] is None
        assert session.get(Person, 1).id_number is None  # type: ignore[union-attr]
        assert session.scalars(select(Person.id).where(Person.id_number.is_(None))).all() == [1]
        assert session.scalars(select(Person.id).where(Person.id_number == None)).all() == [1]  # noqa: E711
        session.add(Person(id=2, id_number=12345))  # type: ignore[arg-type]
        with pytest.raises(Exception, match="expects str"):
            session.flush()
    engine.dispose()


def test_encrypted_string_value_comparison_is_blocked(ring: KeyRing) -> None:
    for build in (
        lambda: Person.id_number == ID_NUMBER,
        lambda: Person.id_number != ID_NUMBER,
        lambda: Person.id_number.in_([ID_NUMBER]),
        lambda: Person.id_number.like("1101%"),
        lambda: Person.id_number.startswith("1101"),
    ):
        with pytest.raises(TypeError, match="blind_index"):
            build()


def test_encrypted_string_length_check(ring: KeyRing, tmp_path: Path) -> None:
    class Base2(DeclarativeBase):
        pass

    class Tiny(Base2):
        __tablename__ = "tiny"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        secret: Mapped[str] = mapped_column(EncryptedString(30))

    engine = create_engine(f"sqlite:///{tmp_path / 't.db'}")
    Base2.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Tiny(id=1, secret=ID_NUMBER))
        with pytest.raises(Exception, match="encrypted_length"):
            session.flush()
    engine.dispose()
    # encrypted_length() really is enough for worst-case 4-byte characters
    assert len(KeyRing.generate("k12345678"[:8]).encrypt("𠮷" * 40)) <= encrypted_length(40)


def test_encrypted_string_without_keyring_raises(tmp_path: Path) -> None:
    crypto.clear_keyring()
    engine = _sqlite_engine(tmp_path / "nk.db", wal=False)
    with Session(engine) as session:
        session.add(Person(id=1, id_number=ID_NUMBER))
        with pytest.raises(Exception, match="not configured"):
            session.flush()
    engine.dispose()


def test_rotation_and_reencrypt_column(file_ring: KeyRing, tmp_path: Path) -> None:
    db_path = tmp_path / "rot.db"
    engine = _sqlite_engine(db_path)
    values = {i: f"1101051949123{i:04d}X" for i in range(1, 8)}
    with Session(engine) as session:
        for pk, value in values.items():
            session.add(Person(id=pk, id_number=value))
        session.add(Person(id=100, id_number=None))
        session.commit()
        old_tokens = _raw_tokens(session)
    assert all(t.startswith("k1$") for pk, t in old_tokens.items() if pk != 100)  # type: ignore[union-attr]

    assert file_ring.rotate(tmp_path) == "k2"
    with Session(engine) as session:
        # old values are still readable after rotation
        assert {p.id: p.id_number for p in session.scalars(select(Person))} == {
            **values,
            100: None,
        }
        session.add(Person(id=50, id_number="already-new"))
        session.commit()
        new_row_token = _raw_tokens(session)[50]
        assert new_row_token is not None and new_row_token.startswith("k2$")

        count = reencrypt_column(session, Person.id_number, batch_size=3)
        assert count == len(values)
        session.commit()

    with Session(engine) as session:
        tokens = _raw_tokens(session)
        assert tokens[100] is None
        assert tokens[50] == new_row_token  # current-key rows are left untouched
        for pk in values:
            assert tokens[pk].startswith("k2$")  # type: ignore[union-attr]
            assert tokens[pk] != old_tokens[pk]
        assert {p.id: p.id_number for p in session.scalars(select(Person))} == {
            **values,
            50: "already-new",
            100: None,
        }
        assert reencrypt_column(session, Person.id_number) == 0
    engine.dispose()

    # after re-encryption the k1 key is no longer needed for this column
    path = tmp_path / "encryption.keys"
    data = json.loads(path.read_text())
    del data["keys"]["k1"]
    without_k1 = KeyRing({k: base64.b64decode(v) for k, v in data["keys"].items()}, "k2", b"x" * 32)
    for pk in values:
        assert without_k1.decrypt(tokens[pk]) == values[pk]  # type: ignore[arg-type]


def test_reencrypt_column_with_core_column_and_rollback(ring: KeyRing, tmp_path: Path) -> None:
    engine = _sqlite_engine(tmp_path / "core.db", wal=False)
    with Session(engine) as session:
        session.add_all([Person(id=1, id_number="a"), Person(id=2, id_number="b")])
        session.commit()
    new_ring = KeyRing({**ring._keys, "k2": os.urandom(32)}, "k2", os.urandom(32))
    configure_keyring(new_ring)
    with Session(engine) as session:
        assert reencrypt_column(session, Person.__table__.c.id_number, batch_size=1) == 2
        session.rollback()  # the function does not commit on its own
        assert all(t.startswith("k1$") for t in _raw_tokens(session).values())  # type: ignore[union-attr]
    engine.dispose()


def test_reencrypt_column_composite_primary_key(ring: KeyRing, tmp_path: Path) -> None:
    class Base3(DeclarativeBase):
        pass

    class Account(Base3):
        __tablename__ = "account"
        bank: Mapped[str] = mapped_column(String(10), primary_key=True)
        seq: Mapped[int] = mapped_column(Integer, primary_key=True)
        number: Mapped[str] = mapped_column(EncryptedString(encrypted_length(30)))

    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    Base3.metadata.create_all(engine)
    expected = {(bank, seq): f"{bank}-{seq}" for bank in ("ICBC", "BOC") for seq in (1, 2, 3)}
    with Session(engine) as session:
        session.add_all(Account(bank=b, seq=q, number=v) for (b, q), v in expected.items())
        session.commit()
    configure_keyring(KeyRing({**ring._keys, "k2": os.urandom(32)}, "k2", os.urandom(32)))
    with Session(engine) as session:
        assert reencrypt_column(session, Account.number, batch_size=2) == len(expected)
        session.commit()
        raw = session.execute(select(type_coerce(Account.number, String))).scalars().all()
        assert all(t.startswith("k2$") for t in raw)
        assert {(a.bank, a.seq): a.number for a in session.scalars(select(Account))} == expected
    engine.dispose()


def test_reencrypt_column_undecryptable_value_raises(ring: KeyRing, tmp_path: Path) -> None:
    engine = _sqlite_engine(tmp_path / "bad.db", wal=False)
    with Session(engine) as session:
        session.add(Person(id=1, id_number="a"))
        session.commit()
        session.execute(
            Person.__table__.update().values(
                id_number=type_coerce("zz$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", String)
            )
        )
        with pytest.raises(DecryptionError, match="unknown encryption key id 'zz'"):
            reencrypt_column(session, Person.id_number)
    engine.dispose()


def test_reencrypt_column_rejects_non_encrypted_column(ring: KeyRing, tmp_path: Path) -> None:
    engine = _sqlite_engine(tmp_path / "x.db", wal=False)
    with Session(engine) as session, pytest.raises(TypeError, match="not an EncryptedString"):
        reencrypt_column(session, Person.note)
    engine.dispose()


# --------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("11010519491231002X", {}, "110105********002X"),
        ("6222020200112233445", {}, "622202*********3445"),
        ("13812345678", {"keep_start": 3, "keep_end": 4}, "138****5678"),
        ("11010519491231002X", {"char": "•"}, "110105••••••••002X"),
        ("11010519491231002X", {"keep_start": 0, "keep_end": 0}, "*" * 18),
        ("13812345678", {}, "*********78"),  # would only hide 1 char -> short rule
        ("1234567", {}, "*****67"),
        ("abcdef", {}, "*****f"),
        ("abc", {}, "**c"),
        ("ab", {}, "**"),
        ("a", {}, "*"),
        ("abc", {"keep_end": 0}, "***"),
        ("", {}, ""),
        (None, {}, ""),
    ],
)
def test_mask(value: str | None, kwargs: dict, expected: str) -> None:
    assert mask(value, **kwargs) == expected


def test_mask_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        mask("abc", char="**")
    with pytest.raises(ValueError):
        mask("abc", keep_start=-1)


@given(st.text(max_size=40), st.integers(0, 8), st.integers(0, 8))
def test_mask_property(value: str, keep_start: int, keep_end: int) -> None:
    masked = mask(value, keep_start, keep_end, char="#")
    n = len(value)
    shapes = [
        value[:s] + "#" * (n - s - e) + value[n - e :]
        for s in range(min(keep_start, n) + 1)
        for e in range(min(keep_end, n - s) + 1)
        if n - s - e >= (n if n <= 2 else min(n - 1, 4))
    ]
    assert masked in shapes  # only leading/trailing chars shown, enough chars hidden
