"""Test fixtures for Guanxi and its plugins, installed as the pytest plugin ``guanxi``.

A third-party module's tests get the same fixtures: a migrated database per
test worker (SQLite, or PostgreSQL when ``GUANXI_TEST_DATABASE_URL`` is set), a
SAVEPOINT per test, the WSGI app, users of every default role, logged-in
clients, a controllable clock and a live server with Chromium for browser tests.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import core.db
from core.security.models import Region, Role, Team, User

TEST_PASSWORD = "correct horse battery staple"
PG_URL_ENV = "GUANXI_TEST_DATABASE_URL"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


# -- database -----------------------------------------------------------------


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_database(base_url: str, name: str) -> str:
    """Create an empty database ``name`` next to ``base_url``; return its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def fresh_database_url(directory: Path, label: str) -> str:
    """A new empty database: PostgreSQL when configured, else a SQLite file in ``directory``."""
    base = os.environ.get(PG_URL_ENV)
    if base:
        return _postgres_database(base, f"guanxi_test_{label}_{_worker()}")
    return f"sqlite:///{directory / f'{label}.sqlite'}"


def build_settings(url: str, var_dir: Path) -> dict[str, Any]:
    """Application settings for a test database (background jobs run right after the commit)."""
    return {
        "sqlalchemy.url": url,
        "guanxi.var_dir": str(var_dir),
        "guanxi.secret_key": "test-secret-key-not-for-production",
        "guanxi.module_state_ttl": "0",
        "guanxi.base_url": "http://localhost",
        "guanxi.jobs_runner": "inline",
    }


def build_app(url: str, var_dir: Path, **overrides: Any) -> Any:
    """A migrated application on ``url`` with the default roles and regions."""
    from core import make_app
    from core.setup import prepare_database

    var_dir.mkdir(parents=True, exist_ok=True)
    app = make_app({**build_settings(url, var_dir), **overrides})
    prepare_database(app.registry, app.registry["dbsession_factory"])
    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of this test worker's database."""
    return fresh_database_url(tmp_path_factory.mktemp("db"), "suite")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The WSGI application on the worker's migrated database."""
    return build_app(database_url, tmp_path_factory.mktemp("var"))


@pytest.fixture
def db_connection(app: Any) -> Iterator[Any]:
    """One connection in a transaction rolled back after the test; the app uses it too."""
    engine = app.registry["dbengine"]
    factory = app.registry["dbsession_factory"]
    connection = engine.connect()
    outer = connection.begin()
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    app.registry["modules"].invalidate()
    try:
        yield connection
    finally:
        factory.configure(bind=engine, join_transaction_mode="conservative_savepoint")
        outer.rollback()
        connection.close()
        app.registry["modules"].invalidate()


@pytest.fixture
def dbsession(app: Any, db_connection: Any) -> Iterator[Any]:
    """A session for arranging and checking data (flush to make it visible to requests)."""
    from core.audit import Actor

    session = app.registry["dbsession_factory"]()
    session.info["actor"] = Actor(kind="system")
    try:
        yield session
    finally:
        session.close()


# -- time ------------------------------------------------------------------------


class Clock:
    """Freeze and move ``core.db.utcnow`` (used by every timestamp of the app)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)
        core.db.frozen_now = self.now

    def travel(self, **delta: float) -> dt.datetime:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.now = self.now + dt.timedelta(**delta)
        core.db.frozen_now = self.now
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    """A frozen clock the test can move."""
    try:
        yield Clock()
    finally:
        core.db.frozen_now = None


# -- people ---------------------------------------------------------------------


_PASSWORD_HASH: dict[str, str] = {}


def test_password_hash() -> str:
    """The argon2 hash of :data:`TEST_PASSWORD`, computed once."""
    if "hash" not in _PASSWORD_HASH:
        from core.security.passwords import hash_password

        _PASSWORD_HASH["hash"] = hash_password(TEST_PASSWORD)
    return _PASSWORD_HASH["hash"]


class Factory:
    """Creates teams and users for a test."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._count = 0

    def team(self, name: str = "", parent: Team | None = None) -> Team:
        """A new team (under ``parent``)."""
        from core.security.teams import create_team

        self._count += 1
        return create_team(self.session, name or f"Team {self._count}", parent=parent)

    def user(
        self,
        username: str = "",
        role: str | None = "sales_rep",
        team: Team | None = None,
        regions: tuple[str, ...] = (),
        **fields: Any,
    ) -> User:
        """A new active user with :data:`TEST_PASSWORD` and the given default role."""
        from sqlalchemy import select

        self._count += 1
        username = username or f"user{self._count}"
        roles = list(self.session.scalars(select(Role).where(Role.key == role))) if role else []
        region_rows = list(self.session.scalars(select(Region).where(Region.code.in_(regions))))
        user = User(
            username=username,
            display_name=fields.pop("display_name", username.title()),
            password_hash=test_password_hash(),
            team=team,
            roles=roles,
            regions=region_rows,
            **fields,
        )
        self.session.add(user)
        self.session.flush()
        return user


@pytest.fixture
def factory(dbsession: Any) -> Factory:
    """Makes teams and users inside the test's transaction."""
    return Factory(dbsession)


# -- web clients ----------------------------------------------------------------


class Client:
    """A webtest client with helpers for CSRF tokens and logging in."""

    def __init__(self, app: Any) -> None:
        from webtest import TestApp

        self.app = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def csrf_token(self) -> str:
        """The CSRF token of the client's cookie session."""
        page = self.app.get("/login", status="*")
        if page.status_int in (302, 303):
            page = self.app.get("/", status="*")
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, url: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST a form with the CSRF token added."""
        data = dict(params or {})
        data["csrf_token"] = self.csrf_token()
        return self.app.post(url, data, **kw)

    def login(self, username: str, password: str = TEST_PASSWORD, **kw: Any) -> Any:
        """Log in through the login form."""
        return self.post_form("/login", {"login": username, "password": password}, **kw)


@pytest.fixture
def client(app: Any, db_connection: Any) -> Client:
    """An anonymous browser-like client."""
    return Client(app)


@pytest.fixture
def login_as(app: Any, db_connection: Any, dbsession: Any) -> Any:
    """``login_as(user)`` returns a client already logged in as ``user``."""
    from core.security.models import AuthSession
    from core.security.sessions import COOKIE_NAME, hash_session_id

    def make(user: User) -> Client:
        import secrets

        raw = secrets.token_urlsafe(32)
        now = core.db.utcnow()
        dbsession.add(
            AuthSession(
                id=hash_session_id(raw),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + dt.timedelta(hours=12),
            )
        )
        dbsession.flush()
        client = Client(app)
        client.app.set_cookie(COOKIE_NAME, raw)
        return client

    return make


# -- scale ----------------------------------------------------------------------


@pytest.fixture
def generate(app: Any, dbsession: Any, tmp_path: Path) -> Any:
    """``generate(customers, seed=1)`` runs ``guanxi generate`` inside the test's transaction.

    Every enabled module's ``guanxi_generate_data`` adds its rows (in this process);
    returns the :class:`core.generate.DataPlan` with the generated users.
    """
    from core.generate import DataPlan, create_people, run_generators
    from core.records import collect_record_types

    def make(customers: int, seed: int = 1) -> Any:
        modules = app.registry["modules"]
        plan = DataPlan(
            customers=customers,
            seed=seed,
            users=create_people(dbsession, customers, seed, tmp_path),
            record_types=collect_record_types(modules.hooks(modules.enabled_names(dbsession))),
            now=core.db.utcnow(),
            workers=1,
        )
        run_generators(app.registry, dbsession, plan)
        return plan

    return make


def query_plan(connection: Any, statement: str, parameters: Any) -> list[str]:
    """The lines of the plan of ``statement`` as the database would run it.

    PostgreSQL prices sequential scans out (on the few rows of a test it would
    rightly prefer them), so the plan shows which index it would use at scale.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        lines = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
        return list(lines)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    return [row[3] for row in rows]


class StatementCounter:
    """Counts the SQL statements a block of code sends (``with counter: …``)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.statements: list[str] = []

    def _keep(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        from sqlalchemy import event

        self.statements = []
        event.listen(self.connection, "before_cursor_execute", self._keep)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.connection, "before_cursor_execute", self._keep)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(db_connection: Any) -> StatementCounter:
    """A :class:`StatementCounter` on the connection the app uses in tests."""
    return StatementCounter(db_connection)


def assert_bounded_queries(counter: StatementCounter, load: Any, grow: Any) -> int:
    """Fail when the statements ``load()`` sends grow with the data (an N+1).

    ``load()`` is run, then ``grow()`` adds rows it shows, then ``load()`` again:
    both must send the same number of statements.  The first load should show a
    row of each kind already (an eager load of no rows sends nothing).  Returns
    the number of statements.
    """
    with counter:
        load()
    before = collections.Counter(counter.statements)
    grow()
    with counter:
        load()
    after = collections.Counter(counter.statements)
    grown = [
        (n - before[sql], sql)
        for sql, n in after.items()
        if n > before[sql] and not sql.startswith(("SAVEPOINT", "RELEASE"))
    ]
    extra = counter.count - sum(before.values())
    details = "\n".join(f"+{n} × {sql}" for n, sql in sorted(grown, reverse=True)[:5])
    assert extra <= 0, f"{extra} more statement(s) with more rows (N+1?):\n{details}"
    return counter.count


class Mailbox:
    """A fake SMTP server standing in for ``smtplib.SMTP`` and ``smtplib.SMTP_SSL``.

    ``sent`` holds the delivered ``EmailMessage`` objects; set ``down`` to refuse
    connections, or add addresses to ``refused`` to reject single recipients.
    """

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.connections: list[dict[str, Any]] = []
        self.down = False
        self.refused: set[str] = set()

    def connect(self, host: str, port: int, ssl: bool = False, **kw: Any) -> Any:
        import smtplib

        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        info: dict[str, Any] = {"host": host, "port": port, "ssl": ssl, "starttls": False}
        self.connections.append(info)
        mailbox = self

        class Connection:
            def ehlo(self) -> None:
                pass

            def has_extn(self, name: str) -> bool:
                return name.lower() == "starttls"

            def starttls(self, **kw: Any) -> None:
                info["starttls"] = True

            def login(self, user: str, password: str) -> None:
                info["login"] = (user, password)

            def send_message(self, message: Any) -> None:
                if message["To"] in mailbox.refused:
                    raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
                mailbox.sent.append(message)

            def quit(self) -> None:
                pass

            close = quit

        return Connection()


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """Capture what the outbox sends over SMTP (``smtplib`` is replaced by a fake)."""
    import smtplib

    box = Mailbox()
    monkeypatch.setattr(smtplib, "SMTP", lambda host, port, **kw: box.connect(host, port))
    monkeypatch.setattr(
        smtplib, "SMTP_SSL", lambda host, port, **kw: box.connect(host, port, ssl=True)
    )
    return box


@pytest.fixture
def admin(factory: Factory) -> User:
    """A user with the Administrator role."""
    return factory.user("root", role="admin")


# -- browser --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class LiveServer:
    """A served app: ``url`` is its base URL (no trailing slash), ``app`` the WSGI app."""

    url: str
    app: Any

    def __str__(self) -> str:
        """The base URL, so that ``f"{live_server}/path"`` reads as before."""
        return self.url

    def session(self) -> Any:
        """A context manager: a session on the served database, committed at the end."""
        from core.audit import Actor
        from core.db import session_scope

        return session_scope(self.app.registry["dbsession_factory"], Actor(kind="system"))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own database, served by waitress on a free port (shared per worker)."""
    from waitress.server import create_server

    directory = tmp_path_factory.mktemp("live")
    # Background jobs run in threads, as on a single server: pages show their progress.
    app = build_app(
        f"sqlite:///{directory / 'live.sqlite'}",
        directory / "var",
        **{"guanxi.jobs_runner": "thread"},
    )
    server = create_server(app, host="127.0.0.1", port=_free_port(), threads=4)
    live = LiveServer(f"http://127.0.0.1:{server.effective_port}", app)
    with live.session() as session:
        Factory(session).user("admin", role="admin", display_name="Admin")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped (or failed in CI) when missing."""
    executable = os.environ.get("GUANXI_CHROMIUM", "/usr/bin/chromium")
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed"
    if reason is None and not Path(executable).exists():
        reason = f"no Chromium at {executable} (apt-get install chromium fonts-noto-cjk)"
    if reason:
        if _required("GUANXI_REQUIRE_BROWSER"):
            pytest.fail(f"GUANXI_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser page (desktop size)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()
