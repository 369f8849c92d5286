"""The module framework with a real third-party plugin (``tests/example_plugin``).

The example module is installed (its own distribution, its own Alembic branch)
but disabled until an administrator enables it; enabling and disabling take
effect on the next request, dependencies are pulled in or protect their
dependents, and broken module sets fail at startup with a message naming them.
"""

from __future__ import annotations

import types
from pathlib import Path

import guanxi_example
import pluggy
import pytest
from babel.messages.pofile import read_po
from guanxi_example.models import ExampleNote
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from sqlalchemy import select

from core import hookimpl
from core.cli import main
from core.contributions import Permission
from core.i18n import LOCALES
from core.i18n_tools import extract, gaps
from core.modules import Manifest, Module, ModuleError, ModuleRegistry, dependency_order
from core.security.catalog import CatalogError, collect_permissions
from core.security.models import Role
from core.testing import build_app, fresh_database_url
from plugins.customers.models import Customer
from plugins.customers.service import assign_owner


@pytest.fixture
def web(login_as, admin):
    return login_as(admin)


@pytest.fixture
def customer(dbsession, admin):
    record = Customer(code="C2026009999", name="上海浦江精密机械有限公司", custom={})
    assign_owner(record, admin)
    dbsession.add(record)
    dbsession.flush()
    return record


def toggle(web, module, action, **kw):
    """Press Enable/Disable on Settings → Modules; returns the page shown afterwards."""
    response = web.post_form(f"/settings/modules/{module}", {"action": action}, status=303, **kw)
    return response.follow(**kw)


def enabled(app, dbsession):
    return app.registry["modules"].enabled_names(dbsession, fresh=True)


# -- enabling and disabling live ------------------------------------------------------


def test_example_is_installed_but_disabled(app, dbsession, web):
    assert {"customers", "example"} <= set(app.registry["modules"].modules)
    assert enabled(app, dbsession) >= {"customers"}
    assert "example" not in enabled(app, dbsession)
    row = web.get("/settings/modules").text.split('data-module="example"')[1].split("</tr>")[0]
    assert "Disabled" in row
    web.get("/example/notes", status=404)


def test_enabling_shows_menu_page_tab_and_permission(app, dbsession, web, customer):
    note = ExampleNote(customer_id=customer.id, text="客户想要季度报价")
    dbsession.add(note)
    dbsession.flush()
    page = toggle(web, "example", "enable")
    assert "Example notes is enabled." in page.text
    assert 'data-menu="example.notes"' in page.text
    assert "客户想要季度报价" in web.get("/example/notes").text
    tab_url = f"/example/customers/{customer.id}/notes"
    assert tab_url in web.get(f"/customers/{customer.id}").text
    assert "客户想要季度报价" in web.get(tab_url).text
    admin_role = dbsession.scalars(select(Role).where(Role.key == "admin")).one()
    assert 'data-permission="example.note.view"' in web.get(f"/settings/roles/{admin_role.id}").text

    page = toggle(web, "example", "disable")
    assert "Example notes is disabled. Its data is kept." in page.text
    assert 'data-menu="example.notes"' not in page.text
    web.get("/example/notes", status=404)
    web.get(tab_url, status=404)
    assert tab_url not in web.get(f"/customers/{customer.id}").text
    assert (
        'data-permission="example.note.view"'
        not in web.get(f"/settings/roles/{admin_role.id}").text
    )
    dbsession.expire_all()
    assert dbsession.get(ExampleNote, note.id).text == "客户想要季度报价"


def test_example_pages_follow_the_customer_scope(app, dbsession, web, login_as, factory, customer):
    toggle(web, "example", "enable")
    rep = factory.user("rep", role="sales_rep")
    mine = Customer(code="C2026009998", name="我的客户", custom={})
    assign_owner(mine, rep)
    dbsession.add_all([mine, ExampleNote(customer=customer, text="别人的备注")])
    dbsession.flush()
    dbsession.add(ExampleNote(customer_id=mine.id, text="我的备注"))
    dbsession.flush()
    rep_web = login_as(rep)
    page = rep_web.get("/example/notes").text
    assert "我的备注" in page and "别人的备注" not in page
    rep_web.get(f"/example/customers/{customer.id}/notes", status=404)
    login_as(factory.user("agent", role="service_agent")).get("/example/notes", status=403)


def test_disabling_a_needed_module_is_refused_naming_the_dependent(app, dbsession, web):
    toggle(web, "example", "enable")
    page = toggle(web, "customers", "disable")
    assert "Customers cannot be disabled while Example notes depends on it." in page.text
    chinese = toggle(web, "customers", "disable", headers={"Accept-Language": "zh-CN"})
    assert "示例备注" in chinese.text
    assert {"customers", "example"} <= enabled(app, dbsession)


def test_enabling_pulls_in_dependencies(app, dbsession, web, customer):
    toggle(web, "customers", "disable")
    web.get("/customers", status=404)
    web.get(f"/customers/{customer.id}", status=404)
    web.get("/api/v1/customers", status=404)
    toggle(web, "example", "enable")
    assert {"customers", "example"} <= enabled(app, dbsession)
    web.get(f"/customers/{customer.id}")


# -- the command line -------------------------------------------------------------------


def test_plugins_command(tmp_path, monkeypatch, capsys):
    url = fresh_database_url(tmp_path, "cli")
    build_app(url, tmp_path / "var")
    monkeypatch.setenv("GUANXI_DATABASE_URL", url)
    monkeypatch.setenv("GUANXI_VAR_DIR", str(tmp_path / "var"))

    def guanxi(*args):
        code = main(["-c", str(tmp_path / "none.ini"), "plugins", *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    def states():
        code, out = guanxi("list")
        assert code == 0
        return {line.split()[0]: line.split()[2] for line in out.splitlines()}

    assert states() == {"customers": "enabled", "example": "disabled"}
    assert guanxi("enable", "example") == (0, "enabled: example\n")
    code, out = guanxi("disable", "customers")
    assert code == 2 and "customers cannot be disabled while example depends on it" in out
    assert guanxi("disable", "example")[0] == 0
    assert guanxi("disable", "customers")[0] == 0
    assert states() == {"customers": "disabled", "example": "disabled"}
    assert guanxi("enable", "example") == (0, "enabled: customers, example\n")
    code, out = guanxi("enable", "nothing")
    assert code == 2 and "no module called nothing" in out


# -- broken module sets fail at startup ------------------------------------------------


def fake_module(name, depends=(), **hooks):
    """An installed module made up for the test, with ``hooks`` as its hook implementations."""
    package = types.ModuleType(f"fake_{name}")
    package.__file__ = f"/nonexistent/fake_{name}/__init__.py"
    hook_module = types.ModuleType(f"fake_{name}.hooks")
    for hook_name, function in hooks.items():
        setattr(hook_module, hook_name, hookimpl(function))
    manifest = Manifest(name=name, label=name, description="", version="1", depends=depends)
    return Module(manifest=manifest, package=package, hooks=hook_module if hooks else None)


def test_dependency_cycle_names_the_modules():
    with pytest.raises(ModuleError, match="cycle: alpha → beta → alpha"):
        dependency_order([fake_module("alpha", ("beta",)), fake_module("beta", ("alpha",))])


def test_missing_dependency_names_both_modules():
    with pytest.raises(ModuleError, match="module alpha depends on ghost, which is not installed"):
        dependency_order([fake_module("alpha", ("ghost",))])


def test_dependencies_come_first():
    ordered = dependency_order(
        [fake_module("sales", ("customers",)), fake_module("customers"), fake_module("alpha")]
    )
    names = [module.name for module in ordered]
    assert names.index("customers") < names.index("sales")


def test_duplicate_permission_is_refused():
    def permissions():
        return [Permission("alpha.thing.view", "View")]

    registry = ModuleRegistry.create(
        [
            fake_module("alpha", guanxi_permissions=permissions),
            fake_module("beta", guanxi_permissions=permissions),
        ]
    )
    both = r"permission alpha\.thing\.view is declared by both (alpha and beta|beta and alpha)"
    with pytest.raises(CatalogError, match=both):
        collect_permissions(registry.pm.hook)


def test_duplicate_route_name_is_a_configuration_conflict():
    def alpha(config):
        config.add_route("notes", "/alpha/notes")

    def beta(config):
        config.add_route("notes", "/beta/notes")

    config = Configurator()
    config.include(alpha)
    config.include(beta)
    with pytest.raises(ConfigurationConflictError, match="notes"):
        config.commit()


def test_hook_implementation_without_a_spec_is_refused():
    def guanxi_no_such_hook():
        return []

    with pytest.raises(pluggy.PluginValidationError, match="guanxi_no_such_hook"):
        ModuleRegistry.create([fake_module("alpha", guanxi_no_such_hook=guanxi_no_such_hook)])


def test_example_catalogues_cover_every_string():
    package = Path(guanxi_example.__file__).parent
    wanted = {message.id for message in extract(package) if message.id}
    for locale in LOCALES:
        with (package / "locale" / locale / "LC_MESSAGES" / "example.po").open("rb") as handle:
            present = {message.id for message in read_po(handle) if message.id}
        assert wanted <= present, f"{locale} lacks {sorted(wanted - present)}"
    assert list(gaps(package / "locale")) == []


def test_example_pages_are_translated(app, dbsession, web):
    toggle(web, "example", "enable")
    assert "示例备注" in web.get("/settings/modules", headers={"Accept-Language": "zh-CN"}).text
    assert "範例備註" in web.get("/settings/modules", headers={"Accept-Language": "zh-TW"}).text
    assert "还没有备注" in web.get("/example/notes", headers={"Accept-Language": "zh-CN"}).text
