"""Catalogue maintenance: extract every domain's strings and update the ``.po`` files.

``make i18n-update`` (``python -m core.i18n_tools update``) extracts the core's
strings into the ``guanxi`` domain and each built-in module's into its own
domain, then updates ``locale/<lang>/LC_MESSAGES/<domain>.po`` for every
language.  English entries are filled with their source text; Chinese entries
must be translated by a person (the test suite fails on any gap).
``python -m core.i18n_tools check`` lists untranslated or fuzzy entries.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.i18n import CORE_DOMAIN, LOCALE_DIR, LOCALES

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [
    ("**/vendor/**", "ignore"),
    ("**.py", "python"),
    ("**.jinja2", "jinja2"),
    ("**/static/**.js", "javascript"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "TranslationString": None}


def domains(root: Path = ROOT) -> dict[str, Path]:
    """Domain name → source folder: the core and every built-in module under plugins/."""
    found = {CORE_DOMAIN: root / "core"}
    for package in sorted((root / "plugins").iterdir()):
        if (package / "__init__.py").exists():
            found[package.name] = package
    return found


def extract(source: Path) -> Catalog:
    """Every translatable string under ``source``."""
    catalog = Catalog(project="Guanxi CRM", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source),
        METHOD_MAP,
        {"**.jinja2": {"extensions": "jinja2.ext.do"}},
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        location = (str(Path(source.name) / filename), lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def update_domain(domain: str, template: Catalog, locale_dir: Path = LOCALE_DIR) -> None:
    """Create or update ``<domain>.po`` in every language from ``template``."""
    for locale in LOCALES:
        path = locale_dir / locale / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=domain)
        else:
            catalog = Catalog(locale=locale, domain=domain, project="Guanxi CRM", charset="utf-8")
        # update() adopts the template's message objects: give each language its own copy.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        if locale == "en":
            for message in catalog:
                if isinstance(message.id, tuple | list) and not any(message.string):
                    message.string = tuple(message.id)
                elif message.id and not message.string:
                    message.string = message.id
        with path.open("wb") as handle:
            write_po(
                handle,
                catalog,
                width=100,
                omit_header=False,
                ignore_obsolete=True,
                sort_output=False,
            )


def gaps(locale_dir: Path = LOCALE_DIR) -> Iterator[str]:
    """Untranslated or fuzzy entries of every catalogue, as readable lines."""
    for path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                yield f"{path.relative_to(locale_dir.parent)}: {message.id!r}"


def main(argv: list[str]) -> int:
    """``update`` the catalogues or ``check`` them for gaps."""
    if argv[:1] == ["update"]:
        for domain, source in domains().items():
            update_domain(domain, extract(source))
            print(f"updated {domain}")
        return 0
    if argv[:1] == ["check"]:
        missing = list(gaps())
        print("\n".join(missing) or "all catalogues complete")
        return 1 if missing else 0
    print("usage: python -m core.i18n_tools update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
