"""The UI shell: templates, static files, layout, menus, errors and security headers."""

from __future__ import annotations

from typing import Any

from pyramid.tweens import INGRESS

from core.web.rendering import package_dir

STATIC_MAX_AGE = 365 * 24 * 3600


def add_static(config: Any, package: str) -> None:
    """Serve ``<package>/static`` at ``/static/<package>`` with long-lived caching.

    Registered by absolute path (works for wheels, editable and zipped installs
    alike); ``asset('<package>:static/…')`` in templates builds versioned URLs.
    """
    name = package.rsplit(".", 1)[-1]
    config.add_static_view(
        f"static/{name}", str(package_dir(package) / "static"), cache_max_age=STATIC_MAX_AGE
    )


def includeme(config: Any) -> None:
    """Jinja2 renderer, versioned static files, tweens and the core's pages."""
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.add_jinja2_search_path("core:templates", name=".jinja2")
    add_static(config, "core")
    config.add_tween("core.web.tweens.request_log_tween_factory")
    config.add_tween("core.web.tweens.security_headers_tween_factory")
    config.add_tween(  # outermost: the others read the path
        "core.web.tweens.input_guard_tween_factory",
        under=INGRESS,
        over="core.web.tweens.security_headers_tween_factory",
    )
    config.set_execution_policy("core.web.retry.retry_when_locked")
    config.add_subscriber("core.web.rendering.add_template_globals", "pyramid.events.BeforeRender")
    config.add_request_method("core.web.rendering.static_path", "asset_url")
    config.add_request_method("core.web.flash.flash", "flash")
    config.include("core.web.views")
    config.include("core.web.search")
    config.include("core.notifications")
    config.include("core.web.modules_admin")
    config.include("core.mail")
    config.include("core.audit_views")
    config.include("core.web.saved_views")
    config.include("core.web.timeline")
    config.include("core.web.errors")
