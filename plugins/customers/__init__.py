"""Customers: the companies and people the sales team works with, and their contacts."""

from __future__ import annotations

from typing import Any

from pyramid.i18n import TranslationStringFactory

from core.modules import Manifest

_ = TranslationStringFactory("customers")

MANIFEST = Manifest(
    name="customers",
    label=_("Customers"),
    description=_("Customer accounts with owners, teams, regions, levels and statuses."),
    version="0.1.0",
    depends=(),
)


def includeme(config: Any) -> None:
    """Routes, views and static files of the customers module."""
    from core.web import add_static

    add_static(config, "plugins.customers")
    config.include("plugins.customers.dictionary_views")
    config.include("plugins.customers.sensitive_views")
    config.include("plugins.customers.views")
    config.include("plugins.customers.bulk_views")
    config.include("plugins.customers.api")
    config.include("plugins.customers.contact_views")
    config.include("plugins.customers.contact_api")
    config.include("plugins.customers.order_views")
    config.include("plugins.customers.order_api")
    config.include("plugins.customers.tag_views")
    config.include("plugins.customers.tag_api")
    config.include("plugins.customers.tag_bulk")
    config.include("plugins.customers.duplicate_views")
    config.include("plugins.customers.merge_views")
    config.include("plugins.customers.transfer_views")
    config.include("plugins.customers.purge_views")
    config.include("plugins.customers.churn_views")
    config.include("plugins.customers.followup_views")
    config.include("plugins.customers.followup_api")
