"""The UI shell: templates, static files, layout, menus, errors and security headers."""

from __future__ import annotations

from typing import Any

STATIC_MAX_AGE = 365 * 24 * 3600


def includeme(config: Any) -> None:
    """Jinja2 renderer, versioned static files, tweens and the core's pages."""
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.add_jinja2_search_path("core:templates", name=".jinja2")
    config.add_static_view("static/core", "core:static", cache_max_age=STATIC_MAX_AGE)
    config.add_tween("core.web.tweens.request_log_tween_factory")
    config.add_tween("core.web.tweens.security_headers_tween_factory")
    config.add_subscriber("core.web.rendering.add_template_globals", "pyramid.events.BeforeRender")
    config.add_request_method("core.web.rendering.static_path", "asset_url")
    config.add_request_method("core.web.flash.flash", "flash")
    config.include("core.web.views")
    config.include("core.web.search")
    config.include("core.notifications")
    config.include("core.web.modules_admin")
    config.include("core.web.errors")
