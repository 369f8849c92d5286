"""The permission catalogue, module default grants and the default roles' names."""

from __future__ import annotations

import pluggy
import pytest
from pyramid.i18n import TranslationString
from sqlalchemy import select

from core import hookimpl, hookspecs
from core.contributions import Permission
from core.security.catalog import (
    DEFAULT_ROLES,
    CatalogError,
    apply_default_grants,
    collect_default_grants,
    collect_permissions,
    role_label,
)
from core.security.models import Role


class Hooks:
    """A hook relay answering with fixed contributions, one plugin per list."""

    def __init__(self, permissions, grants=()):
        self.pm = pluggy.PluginManager("guanxi")
        self.pm.add_hookspecs(hookspecs)
        for index, declared in enumerate(permissions):
            self.pm.register(_Declares(declared), name=f"module{index}")
        self.grants = grants

    @property
    def guanxi_permissions(self):
        return self.pm.hook.guanxi_permissions

    def guanxi_default_grants(self):
        return list(self.grants)


class _Declares:
    def __init__(self, permissions):
        self.permissions = permissions

    @hookimpl
    def guanxi_permissions(self):
        return self.permissions


VIEW = Permission("crm.deal.view", "View deals", "Deals")
EDIT = Permission("crm.deal.edit", "Edit deals", "Deals")
SETTINGS = Permission("crm.settings.manage", "Settings", scoped=False)


def test_catalogue_collects_every_module():
    catalogue = collect_permissions(Hooks([[VIEW, EDIT], [SETTINGS]]))
    assert set(catalogue) == {"crm.deal.view", "crm.deal.edit", "crm.settings.manage"}
    assert catalogue["crm.settings.manage"].module == "crm"


@pytest.mark.parametrize(
    "permissions",
    [[[VIEW], [VIEW]], [[Permission("crm.view", "View")]]],
    ids=["declared twice", "not module.resource.action"],
)
def test_catalogue_refuses_bad_permissions(permissions):
    with pytest.raises(CatalogError):
        collect_permissions(Hooks(permissions))


def test_default_grants_merge_modules_and_admin_gets_everything():
    catalogue = {p.name: p for p in (VIEW, EDIT, SETTINGS)}
    grants = [{"sales_rep": {"crm.deal.view": "own"}}, {"sales_rep": {"crm.deal.edit": "own"}}]
    merged = collect_default_grants(Hooks([], grants), catalogue)
    assert merged["sales_rep"] == {"crm.deal.view": "own", "crm.deal.edit": "own"}
    assert merged["admin"] == dict.fromkeys(catalogue, "all")
    assert merged["analyst"] == {}


@pytest.mark.parametrize(
    "grants",
    [{"sales_rep": {"crm.deal.view": "everything"}}, {"sales_rep": {"crm.deal.drop": "all"}}],
    ids=["unknown scope", "undeclared permission"],
)
def test_default_grants_refuse_bad_grants(grants):
    with pytest.raises(CatalogError):
        collect_default_grants(Hooks([], [grants]), {VIEW.name: VIEW})


def test_defaults_create_roles_and_grants_but_never_overwrite_edits(memory_session):
    session = memory_session()
    defaults = {"sales_rep": {"crm.deal.view": "own", "crm.deal.edit": "own"}}
    assert apply_default_grants(session, defaults) == 2
    rep = session.scalars(select(Role).where(Role.key == "sales_rep")).one()
    grants = {grant.permission: grant for grant in rep.grants}
    grants["crm.deal.view"].scope, grants["crm.deal.view"].edited = "team", True
    grants["crm.deal.edit"].scope, grants["crm.deal.edit"].edited = None, True
    session.flush()
    changed = apply_default_grants(
        session, {"sales_rep": {"crm.deal.view": "all", "crm.deal.edit": "all"}}
    )
    assert changed == 0
    assert (grants["crm.deal.view"].scope, grants["crm.deal.edit"].scope) == ("team", None)
    names = set(session.scalars(select(Role.name).where(Role.key.is_not(None))))
    assert names == {str(name) for name in DEFAULT_ROLES.values()}


def test_defaults_follow_modules_for_grants_nobody_edited(memory_session):
    session = memory_session()
    apply_default_grants(session, {"analyst": {"crm.deal.view": "own"}})
    assert apply_default_grants(session, {"analyst": {"crm.deal.view": "region"}}) == 1
    analyst = session.scalars(select(Role).where(Role.key == "analyst")).one()
    assert [(g.permission, g.scope) for g in analyst.grants] == [("crm.deal.view", "region")]


def test_default_role_names_are_translatable_until_renamed():
    assert all(isinstance(name, TranslationString) for name in DEFAULT_ROLES.values())
    analyst = Role(key="analyst", name="Analyst")
    assert isinstance(role_label(analyst), TranslationString)
    analyst.name = "Data analyst"
    assert role_label(analyst) == "Data analyst"
    custom = Role(name="Auditor")
    assert role_label(custom) == "Auditor"
