"""``guanxi tokens``: the service functions, and one run through the real command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import crypto
from core.audit import Actor, AuditEvent
from core.cli import CommandError, main
from core.commands.tokens import create_for, revoke_by_id, state, tokens_of
from core.db import session_scope
from core.security.identity import load_grants
from core.security.tokens import authenticate_token
from core.testing import Factory, build_app


@pytest.fixture
def modules(app):
    return app.registry["modules"]


def test_create_defaults_to_every_permission_the_user_holds(dbsession, factory, modules):
    user = factory.user("rep", role="sales_rep")
    token, raw = create_for(dbsession, modules, "rep", "sync", 30)
    enabled = modules.enabled_names(dbsession, fresh=True)
    assert token.permissions == sorted(load_grants(dbsession, user.id, enabled))
    assert authenticate_token(dbsession, raw)[1] is token
    assert dbsession.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "token_created")
    ).all() == ["token_created"]


def test_create_with_chosen_permissions_and_no_expiry(dbsession, admin, modules):
    token, _raw = create_for(dbsession, modules, "root", "audit", None, ["core.audit.view"])
    assert token.permissions == ["core.audit.view"] and token.expires_at is None


@pytest.mark.parametrize(
    ("username", "expires", "permissions", "message"),
    [
        ("ghost", 30, None, "no user called 'ghost'"),
        ("rep", 30, ["core.users.manage"], "does not have: core.users.manage"),
        ("rep", 366, None, "1 to 365 days"),
        ("sleeper", 30, None, "deactivated"),
    ],
)
def test_create_refusals(dbsession, factory, modules, username, expires, permissions, message):
    factory.user("rep", role="sales_rep")
    factory.user("sleeper", is_active=False)
    with pytest.raises(CommandError, match=message):
        create_for(dbsession, modules, username, "t", expires, permissions)


def test_list_and_revoke(dbsession, admin, modules, clock):
    first, _ = create_for(dbsession, modules, "root", "first", 1, ["core.audit.view"])
    clock.travel(days=2)
    second, _ = create_for(dbsession, modules, "root", "second", 30, ["core.audit.view"])
    assert [token.name for token in tokens_of(dbsession, "root")] == ["second", "first"]
    assert (state(first), state(second)) == ("expired", "active")
    revoke_by_id(dbsession, second.id)
    assert state(second) == "revoked"
    with pytest.raises(CommandError, match="already revoked"):
        revoke_by_id(dbsession, second.id)
    with pytest.raises(CommandError, match="no token with id"):
        revoke_by_id(dbsession, 999_999)


def test_end_to_end_through_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(crypto, "_active", crypto._active)  # the CLI installs its own keyring
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    app = build_app(url, tmp_path / "var")
    factory = app.registry["dbsession_factory"]
    with session_scope(factory, Actor(kind="system")) as session:
        Factory(session).user("alice", role="admin")
    monkeypatch.setenv("GUANXI_DATABASE_URL", url)
    monkeypatch.setenv("GUANXI_VAR_DIR", str(tmp_path / "var"))
    config = ["-c", str(tmp_path / "absent.ini")]

    args = ["tokens", "create", "alice", "--name", "ci", "--permission", "core.audit.view"]
    assert main([*config, *args]) == 0
    out, err = capsys.readouterr()
    raw = out.strip()
    assert raw.startswith("gx_") and "shown only once" in err
    with session_scope(factory) as session:
        user, token = authenticate_token(session, raw)
        assert (user.username, token.permissions) == ("alice", ["core.audit.view"])
        token_id = token.id

    assert main([*config, "tokens", "list", "alice"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(token_id)) and "ci" in line and line.endswith("active")

    assert main([*config, "tokens", "revoke", str(token_id)]) == 0
    assert f"revoked token {token_id}" in capsys.readouterr().out
    with session_scope(factory) as session:
        assert authenticate_token(session, raw) is None

    assert main([*config, "tokens", "revoke", str(token_id)]) == 2
    assert "already revoked" in capsys.readouterr().err
