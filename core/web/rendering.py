"""What every template sees: translation, formatting, menus, flashes and asset URLs."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from typing import Any

from pyramid.csrf import get_csrf_token

from core import i18n
from core.contributions import MenuItem
from core.web.flash import pop_flashes


@functools.lru_cache(maxsize=512)
def _asset_token(spec: str) -> str:
    package, _sep, path = spec.partition(":")
    data = resources.files(package).joinpath(path).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_path(request: Any, spec: str) -> str:
    """A cache-busted URL of a static asset (``core:static/app.css``)."""
    return request.static_path(spec, _query={"v": _asset_token(spec)})


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


def add_template_globals(event: Any) -> None:
    """BeforeRender subscriber: give templates ``_`` and the layout's data."""
    request = event.get("request")
    if request is None:
        return
    event.setdefault("_", lambda message, **kw: i18n.translate(request, message, **kw))
    event.setdefault(
        "ngettext",
        lambda singular, plural, n, **kw: i18n.ntranslate(request, singular, plural, n, **kw),
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
