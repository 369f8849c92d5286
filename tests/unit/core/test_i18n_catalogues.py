"""The three catalogues are complete and in step with the source."""

from __future__ import annotations

from babel.messages.pofile import read_po

from core.i18n import LOCALE_DIR, LOCALES
from core.i18n_tools import domains, extract, gaps


def test_no_untranslated_or_fuzzy_entries():
    missing = list(gaps())
    assert not missing, "untranslated entries:\n" + "\n".join(missing[:50])


def test_every_source_string_is_in_every_catalogue():
    problems = []
    for domain, source in domains().items():
        wanted = {message.id for message in extract(source) if message.id}
        for locale in LOCALES:
            path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                problems.append(f"{path} is missing")
                continue
            with path.open("rb") as handle:
                present = {message.id for message in read_po(handle) if message.id}
            problems += [f"{path.name} [{locale}] lacks {msgid!r}" for msgid in wanted - present]
    assert not problems, "run `make i18n-update` and translate:\n" + "\n".join(problems[:50])
