"""The scope predicate: which rows each scope (and combination of scopes) reaches."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.contributions import RecordType, ScopeColumns
from core.security.identity import Identity, build_identity
from core.security.models import ApiToken, Role, RoleGrant, User
from core.security.scopes import in_scope, scope_filter


class ThrowawayBase(DeclarativeBase):
    metadata = MetaData()


class Deal(ThrowawayBase):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None]
    team_id: Mapped[int | None]
    province_code: Mapped[str | None] = mapped_column(String(20))
    city_code: Mapped[str | None] = mapped_column(String(20))


DEAL = RecordType(
    "deal",
    "Deal",
    Deal,
    scope=ScopeColumns(owner="owner_id", team="team_id", regions=("province_code", "city_code")),
    permission_prefix="test.deal",
)
UNOWNED = RecordType("unowned", "Unowned", Deal, scope=ScopeColumns(team="team_id"))
VIEW = "test.deal.view"
#: Team 10 has the sub-team 11; team 20 is elsewhere.
ROWS = [
    {"id": 1, "owner_id": 1, "team_id": 10, "province_code": "44"},
    {"id": 2, "owner_id": 2, "team_id": 11, "province_code": "11"},
    {"id": 3, "owner_id": 3, "team_id": 20, "province_code": "44", "city_code": "4403"},
    {"id": 4, "owner_id": 2, "team_id": 20, "province_code": "31", "city_code": "3101"},
    {"id": 5},
]


@pytest.fixture
def session(memory_session):
    """The throwaway table (next to the core's user, role and token tables)."""
    session = memory_session(ThrowawayBase.metadata)
    session.add_all(Deal(**row) for row in ROWS)
    session.flush()
    return session


def me(*scopes, team_ids=(), regions=(), permission=VIEW):
    return Identity(
        user=User(id=1),
        grants={permission: frozenset(scopes)} if scopes else {},
        team_ids=frozenset(team_ids),
        region_codes=frozenset(regions),
    )


def reached(session, identity, record_type=DEAL, permission=VIEW):
    query = select(Deal.id).where(scope_filter(identity, record_type, permission))
    return set(session.scalars(query))


def test_own_reaches_the_records_i_own(session):
    assert reached(session, me("own")) == {1}


def test_team_reaches_my_team_and_its_sub_teams(session):
    assert reached(session, me("team", team_ids={10, 11})) == {1, 2}
    assert reached(session, me("team", team_ids={20})) == {3, 4}


def test_team_without_a_team_reaches_nothing(session):
    assert reached(session, me("team")) == set()


def test_region_matches_any_region_column(session):
    assert reached(session, me("region", regions={"44"})) == {1, 3}
    assert reached(session, me("region", regions={"3101"})) == {4}
    assert reached(session, me("region")) == set()


def test_all_reaches_every_record(session):
    assert reached(session, me("all")) == {1, 2, 3, 4, 5}
    assert reached(session, me("all", "own")) == {1, 2, 3, 4, 5}


def test_no_grant_or_no_identity_reaches_nothing(session):
    assert reached(session, me()) == set()
    assert reached(session, me("all", permission="test.deal.edit")) == set()
    assert reached(session, None) == set()


def test_scopes_of_several_roles_or_together(session):
    assert reached(session, me("own", "region", regions={"31"})) == {1, 4}
    assert reached(session, me("own", "team", team_ids={20})) == {1, 3, 4}


def test_a_scope_without_its_column_reaches_nothing(session):
    assert reached(session, me("own"), UNOWNED) == set()
    assert reached(session, me("own", "team", team_ids={11}), UNOWNED) == {2}


def test_in_scope_checks_one_record(session):
    assert in_scope(session, me("own"), DEAL, 1, VIEW)
    assert not in_scope(session, me("own"), DEAL, 2, VIEW)
    assert not in_scope(session, me("all"), DEAL, 99, VIEW)


def test_token_restricts_the_grants_of_the_roles(session):
    role = Role(
        name="Rep",
        grants=[
            RoleGrant(permission=VIEW, scope="own"),
            RoleGrant(permission="test.deal.edit", scope="all"),
        ],
    )
    user = User(id=1, username="rep", roles=[role])
    token = ApiToken(user=user, name="t", token_hash="h", prefix="p", permissions=[VIEW])
    session.add_all([user, token])
    session.flush()
    enabled = frozenset({"test"})
    full = build_identity(session, user, enabled)
    limited = build_identity(session, user, enabled, token=token)
    assert reached(session, full, permission="test.deal.edit") == {1, 2, 3, 4, 5}
    assert reached(session, limited, permission="test.deal.edit") == set()
    assert reached(session, limited) == {1}
    assert reached(session, build_identity(session, user, frozenset())) == set()
