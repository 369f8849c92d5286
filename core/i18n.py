"""Languages: locale negotiation, translation and Babel formatting.

Each module has its own gettext domain (the core's is ``guanxi``, a module's is
its name); the catalogues of the built-in modules live in the top-level
``locale/`` folder as ``locale/<lang>/LC_MESSAGES/<domain>.po``, a third-party
module may ship its own ``locale/`` folder inside its package.  ``.po`` files
are compiled to ``.mo`` when the application starts (only when stale), so a
fresh clone needs no extra step.

Python code marks strings with a domain's ``TranslationStringFactory`` and
translates them with ``request.localizer``; templates call ``_()``, which looks
the message up in every enabled domain.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory, make_localizer
from pyramid.interfaces import ITranslationDirectories

LOCALES = ("en", "zh_Hans", "zh_Hant")
LOCALE_NAMES = {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}
LOCALE_COOKIE = "_LOCALE_"
#: The Babel locale used for formatting in each UI language.
BABEL_LOCALES = {"en": "en_US", "zh_Hans": "zh_Hans_CN", "zh_Hant": "zh_Hant_TW"}
#: HTML ``lang`` attribute of each UI language.
HTML_LANG = {"en": "en", "zh_Hans": "zh-CN", "zh_Hant": "zh-TW"}
CORE_DOMAIN = "guanxi"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_TIMEZONE = "Asia/Shanghai"

_ = TranslationStringFactory(CORE_DOMAIN)


def match_accept_language(header: str | None) -> str | None:
    """The best UI language for an ``Accept-Language`` header, or ``None``."""
    if not header:
        return None
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(weighted):
        locale = _language_for_tag(tag)
        if locale:
            return locale
    return None


def _language_for_tag(tag: str) -> str | None:
    tag = tag.replace("_", "-")
    if tag.startswith("zh"):
        traditional = ("hant", "-tw", "-hk", "-mo")
        return "zh_Hant" if any(marker in tag for marker in traditional) else "zh_Hans"
    if tag.startswith("en"):
        return "en"
    return None


def normalise_locale(value: str | None) -> str | None:
    """Map user input (``zh-CN``, ``zh_Hant`` …) to a supported locale name."""
    if not value:
        return None
    if value in LOCALES:
        return value
    return _language_for_tag(value.lower())


def negotiate_locale(request: Any) -> str:
    """The user's saved language, else the switcher's cookie, else Accept-Language."""
    user = getattr(request, "user", None)
    saved = normalise_locale(getattr(user, "language", None)) if user is not None else None
    return (
        saved
        or normalise_locale(request.cookies.get(LOCALE_COOKIE))
        or match_accept_language(request.headers.get("Accept-Language"))
        or request.registry.settings.get("guanxi.default_locale", "en")
    )


def compile_catalogs(directory: Path) -> int:
    """Compile every ``.po`` under ``directory`` whose ``.mo`` is missing or stale."""
    compiled = 0
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        compiled += 1
    return compiled


def search_domains(request: Any, preferred: str | None = None) -> list[str]:
    """The gettext domains to search, ``preferred`` (the caller's own module) first."""
    domains = list(request.registry.get("translation_domains", (CORE_DOMAIN,)))
    if preferred in domains:
        domains.remove(preferred)
        domains.insert(0, preferred)
    return domains


def translate(
    request: Any, message: str | TranslationString, _domain: str | None = None, **mapping: Any
) -> str:
    """Translate ``message`` for ``request``.

    A plain string is looked up in ``_domain`` first (the module whose template
    asks), then in every other domain.
    """
    localizer = request.localizer
    if isinstance(message, TranslationString):
        return localizer.translate(message, mapping=mapping or None)
    translations = localizer.translations
    found = message
    for domain in search_domains(request, _domain):
        candidate = translations.dugettext(domain, message)
        if candidate != message:
            found = candidate
            break
    if mapping:
        found = TranslationString(found, mapping=mapping).interpolate()
    return found


def ntranslate(
    request: Any, singular: str, plural: str, n: int, _domain: str | None = None, **mapping: Any
) -> str:
    """Plural-aware translation for templates (``ngettext``)."""
    translations = request.localizer.translations
    found = singular if n == 1 else plural
    for domain in search_domains(request, _domain):
        candidate = translations.dungettext(domain, singular, plural, n)
        if candidate not in (singular, plural):
            found = candidate
            break
    mapping.setdefault("num", n)
    return TranslationString(found, mapping=mapping).interpolate()


# -- formatting ---------------------------------------------------------------


def babel_locale(request: Any) -> Locale:
    """The Babel locale for the request's UI language."""
    return Locale.parse(BABEL_LOCALES.get(request.locale_name, "en_US"))


def user_timezone(request: Any) -> ZoneInfo:
    """The user's time zone, else the configured default (Asia/Shanghai)."""
    name = getattr(getattr(request, "user", None), "timezone", None)
    return zone_named(name or request.registry.settings.get("guanxi.default_timezone"))


def zone_named(name: str | None, default: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """The time zone ``name``, else ``default`` (also when ``name`` is unknown)."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


@lru_cache(maxsize=8)
def localizer_for(locale: str) -> Localizer:
    """A translator for ``locale`` outside a request (jobs, e-mails to other users)."""
    return make_localizer(locale, [str(LOCALE_DIR)])


def localizer_in(registry: Any, locale: str) -> Localizer:
    """A translator for ``locale`` with every catalogue the app registered (modules' too)."""
    cache = registry.setdefault("localizers", {})
    if locale not in cache:
        directories = registry.queryUtility(ITranslationDirectories) or [str(LOCALE_DIR)]
        cache[locale] = make_localizer(locale, directories)
    return cache[locale]


def user_language(user: Any, default: str = "zh_Hans") -> str:
    """The language ``user`` chose, else ``default``."""
    return normalise_locale(getattr(user, "language", None)) or default


def format_datetime(request: Any, value: dt.datetime | None, fmt: str = "medium") -> str:
    """A timestamp in the user's time zone and language."""
    if value is None:
        return ""
    return dates.format_datetime(
        value, fmt, tzinfo=user_timezone(request), locale=babel_locale(request)
    )


def format_date(request: Any, value: dt.date | None, fmt: str = "medium") -> str:
    """A date in the user's language (``2026年11月22日`` in Chinese)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(user_timezone(request)).date()
    return _formatted_day(value, fmt, babel_locale(request))


@lru_cache(maxsize=8192)
def _formatted_day(day: dt.date, fmt: str, locale: Locale) -> str:
    """Babel's date formatting (~80 µs), remembered: lists show the same days again and again."""
    return dates.format_date(day, fmt, locale=locale)


def format_number(request: Any, value: int | float | Decimal | None) -> str:
    """A number with the locale's grouping."""
    return "" if value is None else numbers.format_decimal(value, locale=babel_locale(request))


def format_money(
    request: Any, value: int | float | Decimal | None, currency: str = "CNY", compact: bool = False
) -> str:
    """An amount of money; ``compact`` uses 万/億 or K/M as the locale writes them."""
    if value is None:
        return ""
    locale = babel_locale(request)
    if compact:
        return numbers.format_compact_currency(value, currency, locale=locale, fraction_digits=1)
    return numbers.format_currency(value, currency, locale=locale)


def includeme(config: Any) -> None:
    """Register catalogues, the negotiator and the formatting helpers."""
    compile_catalogs(LOCALE_DIR)
    config.add_translation_dirs(str(LOCALE_DIR))
    config.set_locale_negotiator(negotiate_locale)
    config.registry["translation_domains"] = (CORE_DOMAIN,)
    config.add_request_method(translate, "translate")
    config.add_request_method(
        lambda request: lambda message, **kw: translate(request, message, **kw), "_", reify=True
    )
