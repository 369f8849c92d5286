"""What every template sees: translation, formatting, menus, flashes and asset URLs."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from pyramid.csrf import get_csrf_token

from core import i18n
from core.contributions import MenuItem
from core.web.flash import pop_flashes


def package_dir(package: str) -> Path:
    """The folder of an importable package."""
    return Path(str(resources.files(package)))


@functools.lru_cache(maxsize=512)
def _resolve_asset(spec: str) -> tuple[str, str]:
    package, _sep, path = spec.partition(":")
    filename = package_dir(package) / path
    return str(filename), hashlib.sha256(filename.read_bytes()).hexdigest()[:12]


def static_path(request: Any, spec: str) -> str:
    """A cache-busted URL of a static asset (``core:static/app.css``)."""
    filename, token = _resolve_asset(spec)
    return request.static_path(filename, _query={"v": token})


def menu_items(request: Any, section: str = "main") -> list[MenuItem]:
    """The menu entries of ``section`` the user may open, sorted by ``order``."""
    if request.identity is None:
        return []
    items = [
        item
        for items in request.hooks.guanxi_menu_items(request=request)
        for item in items
        if item.section == section
        and (item.permission is None or request.identity.can(item.permission))
    ]
    return sorted(items, key=lambda item: (item.order, item.key))


def template_domain(request: Any, renderer_name: str) -> str:
    """The gettext domain of the module a template (``package:path``) belongs to."""
    package = renderer_name.partition(":")[0] if ":" in renderer_name else ""
    owner = request.registry["modules"].owner_of_package(package) if package else None
    return owner or i18n.CORE_DOMAIN


def add_template_globals(event: Any) -> None:
    """BeforeRender subscriber: give templates ``_`` and the layout's data."""
    request = event.get("request")
    if request is None:
        return
    domain = template_domain(request, event.get("renderer_name") or "")
    event.setdefault("_", lambda message, **kw: i18n.translate(request, message, domain, **kw))
    event.setdefault(
        "ngettext",
        lambda singular, plural, n, **kw: i18n.ntranslate(
            request, singular, plural, n, domain, **kw
        ),
    )
    event.setdefault(
        "fmt_datetime", lambda value, fmt="medium": i18n.format_datetime(request, value, fmt)
    )
    event.setdefault("fmt_date", lambda value, fmt="medium": i18n.format_date(request, value, fmt))
    event.setdefault("fmt_number", lambda value: i18n.format_number(request, value))
    event.setdefault(
        "fmt_money",
        lambda value, currency="CNY", compact=False: i18n.format_money(
            request, value, currency, compact
        ),
    )
    event.setdefault("menu_items", lambda section="main": menu_items(request, section))
    event.setdefault("flashes", lambda: pop_flashes(request))
    event.setdefault("csrf_token", lambda: get_csrf_token(request))
    event.setdefault("locales", i18n.LOCALE_NAMES)
    event.setdefault("html_lang", i18n.HTML_LANG.get(request.locale_name, "en"))
    event.setdefault("asset", lambda spec: static_path(request, spec))
