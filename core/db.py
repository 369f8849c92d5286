"""Database: the declarative base, column types, the engine and the session per request.

A request's session is joined to the request's transaction (pyramid_tm +
zope.sqlalchemy), so a view never commits: the transaction manager commits when
the view succeeds and aborts when it raises.  Work outside a request (the CLI,
jobs, tests) uses :func:`session_scope`, which drives the same machinery.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import transaction
import transaction.interfaces
import zope.sqlalchemy
from sqlalchemy import JSON, DateTime, Integer, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, engine_from_config
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Set by the test clock (``core.testing.clock``) to freeze or move time.
frozen_now: dt.datetime | None = None


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC (the test clock's when it is set)."""
    return frozen_now or dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no timezone type, so values are normalised to naive UTC on the
    way in and re-labelled as UTC on the way out; PostgreSQL gets the same
    naive-UTC values, which keeps both databases identical.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


#: JSON everywhere, JSONB on PostgreSQL (indexable with GIN).
JSONType = JSON().with_variant(JSONB(), "postgresql")


#: Execution option asking SQLite for ``BEGIN IMMEDIATE`` (see :func:`begin_for_writing`).
WRITE_INTENT = "guanxi_write_intent"
#: Requests that change nothing, so their transactions start as readers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Base(DeclarativeBase):
    """The declarative base shared by the core and every module."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONType}


class RecordMixin:
    """Columns every business table carries: id, who/when audit columns, version.

    ``version`` is SQLAlchemy's version counter: an UPDATE whose version no longer
    matches raises ``StaleDataError`` instead of silently overwriting.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    #: Ids of users (kept without a foreign key: users are deactivated, never deleted,
    #: and the audit trail holds the full story).
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @declared_attr.directive
    @classmethod
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


@event.listens_for(Session, "before_flush")
def _stamp_record_authors(session: Session, flush_context: Any, instances: Any) -> None:
    """Fill created_by/updated_by from the actor the session is working for."""
    actor = session.info.get("actor")
    if callable(actor):
        actor = session.info["actor"] = actor()
    user_id = getattr(actor, "user_id", None)
    if user_id is None:
        return
    for obj in session.new:
        if isinstance(obj, RecordMixin) and obj.created_by_id is None:
            obj.created_by_id = user_id
            obj.updated_by_id = user_id
    for obj in session.dirty:
        if isinstance(obj, RecordMixin) and session.is_modified(obj):
            obj.updated_by_id = user_id


def make_engine(settings: dict[str, Any]) -> Engine:
    """Create the engine from ``sqlalchemy.*`` settings, tuned per database."""
    url = settings["sqlalchemy.url"]
    if url.startswith("sqlite"):
        engine = engine_from_config(settings, "sqlalchemy.", connect_args={"timeout": 30})
        _configure_sqlite(engine)
    else:
        settings = {"sqlalchemy.pool_pre_ping": "true", **settings}
        engine = engine_from_config(settings, "sqlalchemy.")
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, durable commits, and real BEGINs."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_INTENT)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "handle_error")
    def _locked_is_transient(context: Any) -> None:
        """Another process's write won the lock: the request is run again (``core.web.retry``)."""
        if "database is locked" in str(context.original_exception):
            raise DatabaseLocked(str(context.original_exception)) from context.sqlalchemy_exception


def begin_for_writing(session: Session) -> None:
    """Start ``session``'s transaction as a writer (SQLite: ``BEGIN IMMEDIATE``).

    SQLite lets one connection write at a time; a transaction that read first
    and then writes fails when another process committed meanwhile, however
    long it waits.  Taking the write lock up front makes writers queue (busy
    timeout) instead.  Nothing changes on PostgreSQL, nor for a session bound
    to a connection that is already in a transaction (the tests').
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and isinstance(bind, Engine):
        session.connection(execution_options={WRITE_INTENT: True})


class DatabaseLocked(transaction.interfaces.TransientError):
    """SQLite refused a write because another connection wrote first (WAL allows one writer).

    A read transaction that wants to write after another process committed cannot
    wait for the lock: only starting over helps.  Pyramid requests are run again
    (``core.web.retry``); the CLI and jobs report it.
    """


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The one session factory of the process."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def tm_session(factory: sessionmaker[Session], manager: transaction.TransactionManager) -> Session:
    """A session joined to ``manager``'s transaction (kept in ``info["transaction_manager"]``)."""
    session = factory()
    zope.sqlalchemy.register(session, transaction_manager=manager)
    session.info["transaction_manager"] = manager
    return session


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session], actor: Any = None) -> Iterator[Session]:
    """A session for work outside a request: commits on success, aborts on error."""
    manager = transaction.TransactionManager(explicit=True)
    session = tm_session(factory, manager)
    session.info["actor"] = actor
    try:
        with manager:
            yield session
    finally:
        session.close()


def includeme(config: Any) -> None:
    """Add ``request.dbsession`` bound to the request's transaction."""
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    engine = config.registry.get("dbengine") or make_engine(settings)
    factory = make_session_factory(engine)
    config.registry["dbengine"] = engine
    config.registry["dbsession_factory"] = factory

    def dbsession(request: Any) -> Session:
        session = tm_session(factory, request.tm)
        session.info["actor"] = lambda: request.registry["actor_factory"](request)
        if request.method not in SAFE_METHODS:
            begin_for_writing(session)
        request.add_finished_callback(lambda _request: session.close())
        return session

    config.add_request_method(dbsession, "dbsession", reify=True)
