"""The module framework: discovery, manifests, dependency order, enabled state.

*Installed* modules are the distributions whose entry point is in the
``guanxi.plugins`` group; the built-in ones are found exactly like a third-party
plugin.  *Enabled* state lives in the ``modules`` table; every worker re-reads it
at most every ``guanxi.module_state_ttl`` seconds, so enabling or disabling takes
effect everywhere without a restart.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pyramid.httpexceptions import HTTPNotFound
from pyramid.viewderivers import INGRESS
from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import hookspecs
from core.db import Base, utcnow

ENTRY_POINT_GROUP = "guanxi.plugins"
CORE = "core"

hookimpl = pluggy.HookimplMarker("guanxi")


class ModuleError(Exception):
    """A module cannot be loaded, ordered, enabled or disabled; the message says why."""


@dataclass(frozen=True)
class Manifest:
    """What a module says about itself (``MANIFEST`` in its package)."""

    name: str
    label: str
    description: str
    version: str
    depends: tuple[str, ...] = ()
    #: Enabled the first time it is seen by ``guanxi migrate``.
    auto_install: bool = True


@dataclass
class Module:
    """An installed module: its manifest, package and hook implementations."""

    manifest: Manifest
    package: ModuleType
    hooks: ModuleType | None = None
    dependents: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def path(self) -> Path:
        return Path(self.package.__file__ or "").parent

    @property
    def migrations_dir(self) -> Path | None:
        path = self.path / "migrations" / "versions"
        return path if path.is_dir() else None

    @property
    def locale_dir(self) -> Path | None:
        path = self.path / "locale"
        return path if path.is_dir() else None


class ModuleState(Base):
    """Whether an installed module is enabled."""

    __tablename__ = "modules"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def load_module(package_name: str) -> Module:
    """Import a module package and read its ``MANIFEST`` and ``hooks``."""
    package = importlib.import_module(package_name)
    manifest = getattr(package, "MANIFEST", None)
    if not isinstance(manifest, Manifest):
        raise ModuleError(f"{package_name} has no MANIFEST (core.modules.Manifest)")
    if not callable(getattr(package, "includeme", None)):
        raise ModuleError(f"module {manifest.name} ({package_name}) has no includeme(config)")
    try:
        hooks = importlib.import_module(package_name + ".hooks")
    except ModuleNotFoundError as exc:
        if exc.name != package_name + ".hooks":
            raise
        hooks = None
    return Module(manifest=manifest, package=package, hooks=hooks)


def discover(group: str = ENTRY_POINT_GROUP) -> list[Module]:
    """Every installed module, found through the entry-point group."""
    found: dict[str, Module] = {}
    for entry_point in metadata.entry_points(group=group):
        module = load_module(entry_point.value.split(":")[0])
        if module.name in found:
            raise ModuleError(f"two installed modules are called {module.name}")
        found[module.name] = module
    return list(found.values())


def dependency_order(modules: Iterable[Module]) -> list[Module]:
    """Modules sorted so that each comes after everything it depends on."""
    by_name = {module.name: module for module in modules}
    ordered: list[Module] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " → ".join([*path[path.index(name) :], name])
            raise ModuleError(f"modules depend on each other in a cycle: {cycle}")
        state[name] = "visiting"
        for dependency in by_name[name].manifest.depends:
            if dependency not in by_name:
                raise ModuleError(f"module {name} depends on {dependency}, which is not installed")
            by_name[dependency].dependents.add(name)
            visit(dependency, [*path, name])
        state[name] = "done"
        ordered.append(by_name[name])

    for name in sorted(by_name):
        visit(name, [])
    return ordered


class HookRelay:
    """``pm.hook`` restricted to the enabled modules (and the core)."""

    def __init__(self, pm: pluggy.PluginManager, removed: list[Any]) -> None:
        self._pm = pm
        self._removed = removed

    def __getattr__(self, name: str) -> Any:
        if not self._removed:
            return getattr(self._pm.hook, name)
        return self._pm.subset_hook_caller(name, remove_plugins=self._removed)


class ModuleRegistry:
    """The installed modules of this process and a cache of their enabled state."""

    def __init__(self, modules: list[Module], pm: pluggy.PluginManager, ttl: float = 2.0):
        self.modules = {module.name: module for module in dependency_order(modules)}
        self.pm = pm
        self.ttl = ttl
        self._enabled: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")
        self._relays: dict[frozenset[str], HookRelay] = {}
        self._package_owner: dict[str, str] = {}
        for module in self.modules.values():
            self._package_owner[module.package.__name__] = module.name

    @classmethod
    def create(cls, modules: list[Module], ttl: float = 2.0) -> ModuleRegistry:
        """Build the plugin manager, register every module's hooks and check them."""
        pm = pluggy.PluginManager("guanxi")
        pm.add_hookspecs(hookspecs)
        registry = cls(modules, pm, ttl)
        pm.register(importlib.import_module("core.hooks"), name=CORE)
        for module in registry.modules.values():
            if module.hooks is not None:
                pm.register(module.hooks, name=module.name)
        pm.check_pending()
        return registry

    # -- enabled state -------------------------------------------------------

    def enabled_names(self, session: Session, *, fresh: bool = False) -> frozenset[str]:
        """Names of the enabled modules, re-read from the database every ``ttl`` seconds."""
        now = time.monotonic()
        if fresh or now - self._loaded_at > self.ttl:
            rows = session.execute(select(ModuleState.name).where(ModuleState.enabled))
            self._enabled = frozenset(name for (name,) in rows if name in self.modules)
            self._loaded_at = now
        return self._enabled

    def invalidate(self) -> None:
        """Forget the cached state (this process just changed it)."""
        self._loaded_at = float("-inf")

    def hooks(self, enabled: frozenset[str]) -> HookRelay:
        """The hook relay that only reaches the core and the ``enabled`` modules."""
        relay = self._relays.get(enabled)
        if relay is None:
            removed = [
                self.pm.get_plugin(name)
                for name in self.modules
                if name not in enabled and self.pm.get_plugin(name) is not None
            ]
            relay = self._relays[enabled] = HookRelay(self.pm, removed)
        return relay

    def owner_of_package(self, package_name: str) -> str | None:
        """The module a Python package belongs to (``None`` for the core)."""
        while package_name:
            if package_name in self._package_owner:
                return self._package_owner[package_name]
            package_name = package_name.rpartition(".")[0]
        return None

    def sync(self, session: Session) -> list[str]:
        """Add a state row for modules seen for the first time; return those auto-enabled."""
        known = set(session.scalars(select(ModuleState.name)))
        added = []
        for module in self.modules.values():
            if module.name not in known:
                enabled = module.manifest.auto_install
                session.add(ModuleState(name=module.name, enabled=enabled))
                if enabled:
                    added.append(module.name)
        session.flush()
        self.invalidate()
        return added

    def enable(self, session: Session, name: str) -> list[str]:
        """Enable ``name`` and the modules it needs; return the ones newly enabled."""
        if name not in self.modules:
            raise ModuleError(f"no module called {name} is installed")
        enabled = self.enabled_names(session, fresh=True)
        needed: list[str] = []

        def collect(module_name: str) -> None:
            for dependency in self.modules[module_name].manifest.depends:
                collect(dependency)
            if module_name not in enabled and module_name not in needed:
                needed.append(module_name)

        collect(name)
        for module_name in needed:
            state = session.get(ModuleState, module_name)
            if state is None:
                session.add(ModuleState(name=module_name, enabled=True))
            else:
                state.enabled = True
        session.flush()
        self.invalidate()
        return needed

    def disable(self, session: Session, name: str) -> None:
        """Disable ``name``; refused while an enabled module depends on it. Data is kept."""
        if name not in self.modules:
            raise ModuleError(f"no module called {name} is installed")
        enabled = self.enabled_names(session, fresh=True)
        blocking = sorted(self.modules[name].dependents & enabled)
        if blocking:
            raise ModuleError(
                f"{name} cannot be disabled while {', '.join(blocking)} depends on it"
            )
        state = session.get(ModuleState, name)
        if state is not None:
            state.enabled = False
            session.flush()
        self.invalidate()


def module_view_deriver(view: Any, info: Any) -> Any:
    """Answer 404 for views of a module that is currently disabled."""
    registry: ModuleRegistry = info.registry["modules"]
    owner = registry.owner_of_package(getattr(info.package, "__name__", ""))
    if owner is None:
        return view

    def guarded(context: Any, request: Any) -> Any:
        if owner not in request.enabled_modules:
            raise HTTPNotFound()
        return view(context, request)

    return guarded


def includeme(config: Any) -> None:
    """Discover modules, register their hooks and include each enabled-or-not module.

    Every installed module's routes and views are registered; the view deriver
    and the hook relay hide a disabled module at request time.
    """
    settings = config.get_settings()
    modules = config.registry.get("installed_modules")
    if modules is None:
        modules = discover()
    registry = ModuleRegistry.create(modules, ttl=float(settings["guanxi.module_state_ttl"]))
    config.registry["modules"] = registry
    # Outermost, before the permission check: a disabled module's pages are 404, not 403.
    config.add_view_deriver(module_view_deriver, under=INGRESS, over="secured_view")

    def enabled_modules(request: Any) -> frozenset[str]:
        return registry.enabled_names(request.dbsession)

    config.add_request_method(enabled_modules, "enabled_modules", reify=True)
    config.add_request_method(
        lambda request: registry.hooks(request.enabled_modules), "hooks", reify=True
    )
