"""Guanxi CRM: the platform core and the Pyramid application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyramid.config import Configurator
from pyramid.router import Router

from core.modules import hookimpl

__all__ = ["hookimpl", "main", "make_app"]


def make_config(settings: dict[str, Any], **registry_items: Any) -> Configurator:
    """The configured (not yet committed) Configurator for ``settings``."""
    from core.config import load_settings
    from core.crypto import KeyRing, configure_keyring

    settings = load_settings(settings)
    config = Configurator(settings=settings)
    for key, value in registry_items.items():
        config.registry[key] = value
    configure_keyring(KeyRing.from_settings(settings, Path(settings["guanxi.var_dir"])))
    config.include("core.db")
    config.include("core.modules")
    config.include("core.security")
    config.include("core.audit")
    config.include("core.i18n")
    config.include("core.records")
    config.include("core.customfields")
    config.include("core.web")
    config.include("core.api")
    config.include("core.tabular")
    include_modules(config)
    return config


def include_modules(config: Configurator) -> None:
    """Include every installed module (enabled or not) and check the whole catalogue."""
    from core.i18n import compile_catalogs
    from core.security.catalog import collect_permissions

    registry = config.registry["modules"]
    domains = list(config.registry["translation_domains"])
    for module in registry.modules.values():
        config.include(module.package.__name__)
        if module.locale_dir is not None:
            compile_catalogs(module.locale_dir)
            config.add_translation_dirs(str(module.locale_dir))
        domains.insert(0, module.name)
    config.registry["translation_domains"] = tuple(domains)
    collect_permissions(registry.pm.hook)


def make_app(settings: dict[str, Any], **registry_items: Any) -> Router:
    """The WSGI application for ``settings``."""
    return make_config(settings, **registry_items).make_wsgi_app()


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """The PasteDeploy app factory (``paste.app_factory = main``)."""
    return make_app(settings)
