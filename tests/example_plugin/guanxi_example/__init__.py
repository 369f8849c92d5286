"""An example third-party module: notes on customers (see ``docs/plugins.md``)."""

from __future__ import annotations

from typing import Any

from pyramid.i18n import TranslationStringFactory

from core.modules import Manifest

_ = TranslationStringFactory("example")

MANIFEST = Manifest(
    name="example",
    label=_("Example notes"),
    description=_("Notes on customers, written as a third-party module."),
    version="1.0.0",
    depends=("customers",),
    auto_install=False,
)


def includeme(config: Any) -> None:
    """The module's pages."""
    config.include("guanxi_example.views")
