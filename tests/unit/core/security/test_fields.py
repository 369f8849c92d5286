"""Field-level rules: writable field groups within scope, masking and audited unmasking."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from sqlalchemy import MetaData, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.audit import AuditEvent
from core.contributions import RecordType, ScopeColumns
from core.crypto import mask
from core.security.fields import (
    FieldGroup,
    SensitiveField,
    mask_value,
    masked_fields,
    reject_unwritable,
    unmask,
    writable_fields,
)
from core.security.identity import Identity
from core.security.models import User


class ThrowawayBase(DeclarativeBase):
    metadata = MetaData()


class Client(ThrowawayBase):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None]
    name: Mapped[str] = mapped_column(String(50), default="")
    industry: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(20), default="new")
    id_number: Mapped[str | None] = mapped_column(String(30))


CLIENT = RecordType(
    "client",
    "Client",
    Client,
    scope=ScopeColumns(owner="owner_id"),
    permission_prefix="crm.client",
    sensitive=("id_number",),
)
GROUPS = (
    FieldGroup("basic", "Basic information", ("name", "industry"), "crm.client.edit_basic"),
    FieldGroup("status", "Status", ("status",), "crm.client.edit_status"),
)
ID_NUMBER = SensitiveField("id_number", "crm.client.view_sensitive")
SECRET = "11010519491231002X"


def agent(grants=None):
    """A user (id 1) with the given ``{permission: scopes}`` grants."""
    return Identity(
        user=User(id=1),
        grants={name: frozenset(scopes) for name, scopes in (grants or {}).items()},
    )


@pytest.fixture
def session(memory_session):
    session = memory_session(ThrowawayBase.metadata)
    session.add_all(
        [Client(id=1, owner_id=1, id_number=SECRET), Client(id=2, owner_id=2, id_number=SECRET)]
    )
    session.flush()
    return session


def test_group_is_writable_with_its_permission_within_scope(session):
    mine, theirs = session.get(Client, 1), session.get(Client, 2)
    me = agent({"crm.client.edit_status": {"all"}, "crm.client.edit_basic": {"own"}})
    assert writable_fields(me, GROUPS, CLIENT, mine) == {"name", "industry", "status"}
    assert writable_fields(me, GROUPS, CLIENT, theirs) == {"status"}
    assert writable_fields(agent(), GROUPS, CLIENT, mine) == set()
    assert writable_fields(None, GROUPS, CLIENT, mine) == set()


def test_unsaved_changes_do_not_decide_the_scope(session):
    theirs = session.get(Client, 2)
    theirs.owner_id = 1
    me = agent({"crm.client.edit_basic": {"own"}})
    assert writable_fields(me, GROUPS, CLIENT, theirs) == set()


def test_a_new_record_needs_only_the_permission():
    me = agent({"crm.client.edit_basic": {"own"}})
    assert writable_fields(me, GROUPS, CLIENT, None) == {"name", "industry"}
    assert writable_fields(me, GROUPS, CLIENT, Client()) == {"name", "industry"}


def test_reject_unwritable_names_the_refused_fields():
    changes = {"status": "won", "name": "ACME", "industry": "IT"}
    assert reject_unwritable(changes, {"status"}) == ["industry", "name"]
    assert reject_unwritable(changes, {"status", "name", "industry"}) == []


def test_masking_shows_a_hint_only_to_those_who_may_unmask(session):
    holder = agent({"crm.client.view_sensitive": {"own"}})
    assert mask_value(SECRET, holder, ID_NUMBER.permission) == mask(SECRET)
    assert mask_value(SECRET, agent(), ID_NUMBER.permission) == "*" * len(SECRET)
    assert mask_value(None, holder, ID_NUMBER.permission) == ""
    assert masked_fields(holder, [ID_NUMBER], session.get(Client, 1)) == {"id_number": mask(SECRET)}


def request_for(session, identity):
    return SimpleNamespace(identity=identity, dbsession=session)


def test_unmask_within_scope_returns_the_value_and_is_audited(session):
    holder = agent({"crm.client.view_sensitive": {"own"}})
    value = unmask(request_for(session, holder), CLIENT, session.get(Client, 1), "id_number")
    assert value == SECRET
    session.flush()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "unmask")).one()
    assert (event.record_type, event.record_id, event.summary) == ("client", "1", "id_number")
    assert SECRET not in str(event.changes)


def test_unmask_refused_out_of_scope_without_permission_or_field(session):
    holder = agent({"crm.client.view_sensitive": {"own"}})
    with pytest.raises(HTTPForbidden):
        unmask(request_for(session, holder), CLIENT, session.get(Client, 2), "id_number")
    with pytest.raises(HTTPForbidden):
        unmask(request_for(session, agent()), CLIENT, session.get(Client, 1), "id_number")
    with pytest.raises(HTTPNotFound):
        unmask(request_for(session, holder), CLIENT, session.get(Client, 1), "name")
    session.flush()
    assert session.scalars(select(AuditEvent)).first() is None
