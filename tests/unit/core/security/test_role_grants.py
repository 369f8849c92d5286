"""Role grant editing: the no-escalation rule, the matrix form, saving and defaults."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.contributions import Permission
from core.security.identity import Identity
from core.security.models import Role, RoleGrant, User
from core.security.role_grants import (
    apply_grant_changes,
    current_grants,
    default_changes,
    diff_grants,
    parse_grants,
    refused_grants,
    restore_defaults,
    scope_covers,
)

VIEW = Permission("crm.deal.view", "View deals")
EDIT = Permission("crm.deal.edit", "Edit deals")
SETTINGS = Permission("crm.settings.manage", "Settings", scoped=False)
CATALOGUE = {p.name: p for p in (VIEW, EDIT, SETTINGS)}


@pytest.mark.parametrize(
    ("held", "scope", "covered"),
    [
        ({"own"}, "own", True),
        ({"own"}, "team", False),
        ({"own"}, "all", False),
        ({"team"}, "own", True),
        ({"team"}, "region", False),
        ({"region"}, "own", True),
        ({"region"}, "team", False),
        ({"team", "region"}, "all", False),
        ({"all"}, "region", True),
        (set(), "own", False),
    ],
)
def test_scope_order(held, scope, covered):
    assert scope_covers(frozenset(held), scope) is covered


def editor(**grants):
    return Identity(user=User(id=1), grants={k: frozenset(v) for k, v in grants.items()})


def test_refused_grants_are_those_wider_than_the_editor():
    me = editor(**{"crm.deal.view": {"own"}, "crm.settings.manage": {"all"}})
    changes = {
        "crm.deal.view": ["team", "all"],
        "crm.deal.edit": [None, "own"],
        "crm.settings.manage": [None, "all"],
    }
    assert refused_grants(me, CATALOGUE, changes) == ["crm.deal.edit", "crm.deal.view"]
    assert refused_grants(me, CATALOGUE, {"crm.deal.view": ["all", "own"]}) == []
    assert refused_grants(me, CATALOGUE, {"crm.deal.edit": ["all", None]}) == []


def test_parse_grants_reads_the_matrix_and_flags_bad_values():
    form = {
        "grant-crm.deal.view": "team",
        "grant-crm.deal.edit": "",
        "grant-crm.settings.manage": "own",
        "grant-other.thing.view": "all",
    }
    submitted, invalid = parse_grants(form, CATALOGUE)
    assert submitted == {"crm.deal.view": "team", "crm.deal.edit": None}
    assert invalid == ["crm.settings.manage"]
    assert parse_grants({}, CATALOGUE) == ({}, [])


def test_current_grants_show_unscoped_permissions_as_granted():
    role = Role(
        name="r",
        grants=[
            RoleGrant(permission="crm.deal.view", scope="own"),
            RoleGrant(permission="crm.settings.manage", scope="own"),
            RoleGrant(permission="gone.thing.view", scope="all"),
        ],
    )
    state = current_grants(role, CATALOGUE)
    assert state == {"crm.deal.view": "own", "crm.deal.edit": None, "crm.settings.manage": "all"}
    assert diff_grants(state, {"crm.settings.manage": "all", "crm.deal.view": None}) == {
        "crm.deal.view": ["own", None]
    }


def test_saving_marks_edits_keeps_revoked_rows_and_moves_the_version(memory_session):
    session = memory_session()
    role = Role(name="r", grants=[RoleGrant(permission="crm.deal.view", scope="own")])
    session.add(role)
    session.flush()
    version = role.version
    apply_grant_changes(role, {"crm.deal.view": ["own", None], "crm.deal.edit": [None, "team"]})
    session.flush()
    rows = {
        g.permission: (g.scope, g.edited)
        for g in session.scalars(select(RoleGrant).where(RoleGrant.role_id == role.id))
    }
    assert rows == {"crm.deal.view": (None, True), "crm.deal.edit": ("team", True)}
    assert role.version == version + 1


def test_restore_defaults_forgets_edits_of_enabled_modules_only(memory_session):
    session = memory_session()
    role = Role(
        key="sales_rep",
        name="Sales representative",
        grants=[
            RoleGrant(permission="crm.deal.view", scope=None, edited=True),
            RoleGrant(permission="crm.settings.manage", scope="all", edited=True),
            RoleGrant(permission="gone.thing.view", scope="all", edited=True),
        ],
    )
    session.add(role)
    session.flush()
    defaults = {"crm.deal.view": "own", "crm.deal.edit": "own"}
    assert default_changes(role, CATALOGUE, defaults) == {
        "crm.deal.view": [None, "own"],
        "crm.deal.edit": [None, "own"],
        "crm.settings.manage": ["all", None],
    }
    restore_defaults(session, role, CATALOGUE, defaults)
    session.flush()
    rows = {
        g.permission: (g.scope, g.edited)
        for g in session.scalars(select(RoleGrant).where(RoleGrant.role_id == role.id))
    }
    assert rows == {
        "crm.deal.view": ("own", False),
        "crm.deal.edit": ("own", False),
        "gone.thing.view": ("all", True),
    }
    assert default_changes(role, CATALOGUE, defaults) == {}
