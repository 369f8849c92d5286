"""``guanxi keys rotate``: a new key, every encrypted column moved onto it, or a clear refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import String, select, type_coerce

from core import crypto
from core.audit import Actor
from core.cli import main
from core.commands.keys import encrypted_columns
from core.crypto import KeyRing
from core.db import session_scope
from core.security.models import User
from core.testing import Factory, build_app


def test_encrypted_columns_are_discovered_from_the_mappers():
    names = {f"{column.table.name}.{column.name}" for column in encrypted_columns()}
    assert "users.totp_secret" in names
    assert all(isinstance(column.type, crypto.EncryptedString) for column in encrypted_columns())


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """A fresh database with two users holding an encrypted secret; returns (run, app)."""
    monkeypatch.setattr(crypto, "_active", crypto._active)  # the CLI installs its own keyring
    url = f"sqlite:///{tmp_path / 'keys.sqlite'}"
    app = build_app(url, tmp_path / "var")
    with session_scope(app.registry["dbsession_factory"], Actor(kind="system")) as session:
        factory = Factory(session)
        factory.user("alice", totp_secret="JBSWY3DPEHPK3PXP")
        factory.user("bob", totp_secret="KRSXG5CTMVRXEZLU")
        factory.user("carol")
    monkeypatch.setenv("GUANXI_DATABASE_URL", url)
    monkeypatch.setenv("GUANXI_VAR_DIR", str(tmp_path / "var"))
    return (lambda *args: main(["-c", str(tmp_path / "absent.ini"), *args])), app


def stored_tokens(app) -> dict[str, str]:
    raw = type_coerce(User.totp_secret, String)
    with session_scope(app.registry["dbsession_factory"]) as session:
        rows = session.execute(select(User.username, raw).where(raw.is_not(None)))
        return dict(rows.all())


def test_rotate_moves_every_value_to_the_new_key(cli, tmp_path, capsys):
    run, app = cli
    before = stored_tokens(app)
    assert {token.split("$")[0] for token in before.values()} == {"k1"}
    assert run("keys", "rotate", "--batch-size", "1") == 0
    out = capsys.readouterr().out
    assert "new current key: k2" in out and "users.totp_secret: 2 re-encrypted" in out
    after = stored_tokens(app)
    assert {token.split("$")[0] for token in after.values()} == {"k2"}
    ring = KeyRing.from_settings({}, tmp_path / "var")
    assert ring.current_id == "k2" and set(ring.key_ids) == {"k1", "k2"}
    assert ring.decrypt(after["alice"]) == "JBSWY3DPEHPK3PXP"
    assert ring.decrypt(after["bob"]) == "KRSXG5CTMVRXEZLU"


def test_rotate_refuses_keys_from_the_settings(cli, monkeypatch, capsys):
    run, app = cli
    before = stored_tokens(app)
    monkeypatch.setenv("GUANXI_ENCRYPTION_KEYS", f"k9:{crypto.generate_key_b64()}")
    assert run("keys", "rotate") == 2
    assert "guanxi.encryption_keys" in capsys.readouterr().err
    assert stored_tokens(app) == before


def test_batch_size_must_be_positive(cli, capsys):
    run, _app = cli
    assert run("keys", "rotate", "--batch-size", "0") == 2
    assert "--batch-size" in capsys.readouterr().err
