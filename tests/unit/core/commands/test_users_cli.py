"""``guanxi users …`` and ``guanxi teams create``: in the test transaction, then end to end."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from sqlalchemy import select

from core.cli import CommandError, build_parser, main
from core.crypto import configure_keyring, get_keyring
from core.security.models import AuthSession, Team, User
from core.security.passwords import verify_password
from core.testing import build_app

PASSWORD = "violet tangerine orbit 42"


class SessionEnv:
    """An ``Env`` whose session is the test's own (nothing is committed)."""

    def __init__(self, session):
        self._session = session

    def session(self):
        return contextlib.nullcontext(self._session)


@pytest.fixture
def run(dbsession, monkeypatch):
    """``run(*argv, stdin="")`` runs a subcommand inside the test's transaction."""

    def invoke(*argv, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        args = build_parser().parse_args(list(argv))
        return args.handler(args, SessionEnv(dbsession))

    return invoke


def user_named(dbsession, username):
    return dbsession.scalars(select(User).where(User.username == username)).first()


def test_create_user_with_team_regions_and_roles(run, factory, dbsession, capsys):
    factory.team("North")
    code = run(
        "users", "create", "bob", "--role", "sales_rep", "--role", "Analyst",
        "--team", "north", "--region", "44", "--region", "1101",
        "--email", "bob@example.com", "--display-name", "Bob Li", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0
    assert "created user bob" in capsys.readouterr().out
    bob = user_named(dbsession, "bob")
    assert (bob.display_name, bob.email, bob.team.name) == ("Bob Li", "bob@example.com", "North")
    assert sorted(role.key for role in bob.roles) == ["analyst", "sales_rep"]
    assert [region.code for region in bob.regions] == ["1101", "44"]
    assert verify_password(bob.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--role", "sales_rep"], "short\n", "password: Use at least 10 characters."),
        (["--role", "sales_rep"], "bobby-password-1\n", "must not contain the username"),
        (["--role", "chief"], PASSWORD, "no role called 'chief'"),
        (["--role", "admin", "--team", "Nowhere"], PASSWORD, "no team called 'Nowhere'"),
        (["--role", "admin", "--region", "440106"], PASSWORD, "not a province or city code"),
        (["--role", "admin", "--email", "x@"], PASSWORD, "Enter a valid e-mail address."),
    ],
)
def test_create_refuses_bad_input(run, dbsession, argv, stdin, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("users", "create", "bobby", *argv, "--password-stdin", stdin=stdin)
    assert user_named(dbsession, "bobby") is None


def test_create_refuses_a_taken_username(run, factory):
    factory.user("carol")
    with pytest.raises(
        CommandError, match=re.escape("username: Another user already has this username.")
    ):
        run("users", "create", "CAROL", "--role", "admin", "--password-stdin", stdin=PASSWORD)


def test_ambiguous_team_name_asks_for_the_id(run, factory):
    factory.team("East", parent=factory.team("Sales"))
    factory.team("East", parent=factory.team("Service"))
    with pytest.raises(CommandError, match="several teams are called 'East'"):
        run("teams", "create", "Shanghai", "--parent", "East")


def test_list_shows_users_with_state_roles_and_team(run, factory, dbsession, capsys):
    factory.user("dora", role="sales_manager", team=factory.team("North"), email="d@example.com")
    factory.user("eve").is_active = False
    dbsession.flush()
    run("users", "list")
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert lines["dora"] == ["dora", "active", "sales_manager", "North", "d@example.com"]
    assert lines["eve"][1] == "disabled"


def test_disable_ends_sessions(run, factory, login_as, dbsession, capsys):
    frank = factory.user("frank")
    login_as(frank)
    run("users", "disable", "Frank")
    assert "disabled frank" in capsys.readouterr().out
    assert user_named(dbsession, "frank").is_active is False
    assert not dbsession.scalars(select(AuthSession).where(AuthSession.user_id == frank.id)).all()
    with pytest.raises(CommandError, match="no user called 'nobody'"):
        run("users", "disable", "nobody")


def test_teams_create_under_parent_by_name_or_id(run, dbsession, capsys):
    run("teams", "create", "Sales")
    sales = dbsession.scalars(select(Team).where(Team.name == "Sales")).one()
    run("teams", "create", "North", "--parent", "sales")
    run("teams", "create", "South", "--parent", str(sales.id))
    children = dbsession.scalars(select(Team).where(Team.parent_id == sales.id)).all()
    assert sorted(team.name for team in children) == ["North", "South"]
    with pytest.raises(CommandError, match="already exists"):
        run("teams", "create", "north", "--parent", "Sales")
    with pytest.raises(CommandError, match="no team has the id 999999"):
        run("teams", "create", "X", "--parent", "999999")


@pytest.mark.parametrize(
    "argv", [["users"], ["users", "create"], ["users", "list"], ["users", "disable"], ["teams"]]
)
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage: guanxi" in capsys.readouterr().out


@pytest.fixture
def fresh_database(tmp_path, monkeypatch):
    """A migrated SQLite database the commands reach through GUANXI_* variables."""
    keyring = get_keyring()
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    build_app(url, tmp_path / "var")
    monkeypatch.setenv("GUANXI_DATABASE_URL", url)
    monkeypatch.setenv("GUANXI_VAR_DIR", str(tmp_path / "var"))
    yield url
    configure_keyring(keyring)


def test_end_to_end_on_a_real_database(fresh_database, tmp_path, monkeypatch, capsys):
    config = str(tmp_path / "none.ini")

    def guanxi(*argv, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(["-c", config, *argv])

    assert guanxi("teams", "create", "Sales") == 0
    assert (
        guanxi(
            "users", "create", "grace", "--role", "sales_manager", "--team", "Sales",
            "--password-stdin", stdin=PASSWORD + "\n",
        )
        == 0
    )  # fmt: skip
    assert guanxi("users", "create", "heidi", "--role", "admin", "--password-stdin", stdin="x") == 2
    assert "user not created: password: Use at least 10 characters." in capsys.readouterr().err
    assert guanxi("users", "disable", "grace") == 0
    capsys.readouterr()
    assert guanxi("users", "list") == 0
    out = capsys.readouterr().out
    assert "grace" in out and "disabled" in out and "heidi" not in out
    with pytest.raises(SystemExit) as exit_info:
        guanxi("users", "create", "ivan", "--password-stdin")
    assert exit_info.value.code == 2
