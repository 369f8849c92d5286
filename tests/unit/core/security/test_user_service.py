"""The no-escalation rule of the user service, on roles built in memory."""

from __future__ import annotations

import pytest

from core.security.models import Role, RoleGrant
from core.security.user_service import COMMAND_LINE, Manager, missing_grants


def role(**grants):
    return Role(
        name="r",
        grants=[
            RoleGrant(permission=name.replace("__", "."), scope=s) for name, s in grants.items()
        ],
    )


def manager(**held):
    grants = {name.replace("__", "."): frozenset(scopes) for name, scopes in held.items()}
    return Manager(user_id=1, grants=grants, modules=frozenset({"crm"}))


@pytest.mark.parametrize(
    ("held", "given", "refused"),
    [
        ({"own"}, "own", False),
        ({"own"}, "team", True),
        ({"team"}, "own", False),
        ({"region"}, "own", False),
        ({"team"}, "region", True),
        ({"region"}, "team", True),
        ({"team"}, "all", True),
        ({"all"}, "team", False),
        (set(), "own", True),
    ],
)
def test_a_scope_is_given_only_by_someone_holding_it_at_least(held, given, refused):
    boss = manager(crm__customer__view=held)
    assert bool(missing_grants(boss, [role(crm__customer__view=given)])) is refused


def test_revoked_grants_and_uninstalled_modules_confer_nothing():
    boss = manager(crm__customer__view={"own"})
    assert missing_grants(boss, [role(crm__customer__view=None)]) == []
    assert missing_grants(boss, [role(gone__thing__view="all")]) == []
    assert missing_grants(boss, [role(core__users__manage="all")]) == ["core.users.manage"]


def test_the_command_line_is_unrestricted():
    assert missing_grants(COMMAND_LINE, [role(core__users__manage="all")]) == []
