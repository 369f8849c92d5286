"""Fixtures of the admin pages' tests.

``things_app`` is an application (on its own database) with a tiny extra module
"things": one scoped record type, "thing", with owner, team and province
columns, its permissions and default grants.  The role editor and "Explain
access" tests use it (``app`` overridden in their modules) to have scoped
permissions of a module that is not the core.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from pyramid.i18n import TranslationStringFactory
from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import make_app
from core.contributions import Permission, RecordType, ScopeColumns
from core.modules import Manifest, Module, hookimpl
from core.setup import prepare_database
from core.testing import build_settings, fresh_database_url

_ = TranslationStringFactory("things")
PACKAGE = "guanxi_test_things"


class ThingBase(DeclarativeBase):
    """Separate metadata: the things table exists only in the things app's database."""

    metadata = MetaData()


class Thing(ThingBase):
    """A record with an owner, a team and a province."""

    __tablename__ = "test_things"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    owner_id: Mapped[int | None]
    team_id: Mapped[int | None]
    province_code: Mapped[str | None] = mapped_column(String(20))


THING = RecordType(
    "thing",
    _("Thing"),
    Thing,
    scope=ScopeColumns(owner="owner_id", team="team_id", regions=("province_code",)),
    permission_prefix="things.thing",
    title=lambda thing: thing.name,
)


def guanxi_permissions() -> list[Permission]:
    """Three scoped actions and one global setting."""
    group = _("Things")
    return [
        Permission("things.thing.view", _("View things"), group),
        Permission("things.thing.edit", _("Edit things"), group),
        Permission("things.thing.delete", _("Delete things"), group),
        Permission("things.settings.manage", _("Thing settings"), _("Settings"), scoped=False),
    ]


def guanxi_default_grants() -> dict[str, dict[str, str]]:
    """Representatives work on their own things, managers on their team's."""
    return {
        "sales_rep": {"things.thing.view": "own", "things.thing.edit": "own"},
        "sales_manager": {"things.thing.view": "team", "things.thing.edit": "team"},
    }


def guanxi_record_types() -> list[RecordType]:
    """The thing."""
    return [THING]


def things_module() -> Module:
    """The installed module "things" (its package is registered so Pyramid can include it)."""
    package = types.ModuleType(PACKAGE)
    package.__file__ = __file__
    package.includeme = lambda config: None
    for hook in (guanxi_permissions, guanxi_default_grants, guanxi_record_types):
        setattr(package, hook.__name__, hookimpl(hook))
    sys.modules[PACKAGE] = package
    manifest = Manifest(name="things", label=_("Things"), description="", version="1.0")
    return Module(manifest=manifest, package=package, hooks=package)


@pytest.fixture(scope="session")
def things_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The application with the module "things" installed and enabled."""
    directory = tmp_path_factory.mktemp("things")
    (directory / "var").mkdir()
    settings = build_settings(fresh_database_url(directory, "things"), directory / "var")
    app = make_app(settings, installed_modules=[things_module()])
    prepare_database(app.registry, app.registry["dbsession_factory"])
    ThingBase.metadata.create_all(app.registry["dbengine"])
    return app


@pytest.fixture
def thing_type() -> RecordType:
    """The record type "thing" of the things app."""
    return THING
