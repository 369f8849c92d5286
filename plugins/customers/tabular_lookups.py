"""What imports read by name: owners, places, dictionary entries, tags and customers.

Loaded once per import (a few small tables) and answered from memory, so that
checking a row costs no query.  Names are compared without case, spaces and
width (``ＶＩＰ`` is ``vip``); places also by their short names (广东 for 广东省,
深圳 for 深圳市), and a whole place in one cell (``广东省深圳市南山区``) is split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import select

from core.security.models import Region, User
from core.security.regions import MUNICIPAL_CITY
from core.tabular.values import CellError, choice_index, choice_key, parse_choice
from plugins.customers import _
from plugins.customers.dictionaries import labels as dictionary_labels
from plugins.customers.models import DictionaryEntry, Tag
from plugins.customers.service import people_in_scope

#: Endings of division names people leave out (longest first).
PLACE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "地区",
    "省",
    "市",
    "盟",
    "区",
    "县",
)
PLACE_SEPARATORS = re.compile(r"[\s·,，/、|-]+")
TAG_SEPARATORS = re.compile(r"[,，;；、|]")

NO_OWNER = _("No user called ${name} may own records you import.")
SEVERAL_OWNERS = _("Several users are called ${name}; give the username instead.")
NO_PLACE = _("${name} is not a known place.")
NO_TAG = _("There is no tag called ${name}.")


def short_place(name: str) -> str:
    """A division's name without the ending people leave out (at least two characters)."""
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass
class Places:
    """Every division, found by full or short name under its parent."""

    children: dict[str | None, dict[str, str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Any) -> Places:
        places = cls()
        rows = session.execute(select(Region.code, Region.name, Region.parent_code)).all()
        names = {code: name for code, name, _parent in rows}
        places.names = names
        for code, name, parent in rows:
            under = places.children.setdefault(parent, {})
            spellings = [name, short_place(name)]
            if name == MUNICIPAL_CITY and parent in names:  # 北京市 › 市辖区 is called 北京 too
                spellings += [names[parent], short_place(names[parent])]
            for spelling in spellings:
                under.setdefault(choice_key(spelling), code)
        return places

    def find(self, text: str, parent: str | None) -> str | None:
        """The code of the division called ``text`` (or coded so) under ``parent``."""
        key = choice_key(text)
        under = self.children.get(parent, {})
        if key in under:
            return under[key]
        return text if text in under.values() else None

    def split(self, text: str) -> list[str]:
        """The codes of ``广东省深圳市南山区`` (or ``广东 深圳 南山``), province first."""
        codes: list[str] = []
        rest = choice_key(PLACE_SEPARATORS.sub("", text))
        parent: str | None = None
        while rest:
            under = self.children.get(parent, {})
            match = max((key for key in under if rest.startswith(key)), key=len, default=None)
            if match is None:
                raise CellError(_(NO_PLACE, mapping={"name": text}))
            parent = under[match]
            codes.append(parent)
            rest = rest[len(match) :]
            municipal = self.children.get(parent, {}).get(choice_key(MUNICIPAL_CITY))
            if (
                municipal is not None
                and len(codes) == 1
                and not any(rest.startswith(key) for key in self.children.get(parent, {}))
            ):
                codes.append(municipal)
                parent = municipal
        return codes

    def place(self, province: Any, city: Any, district: Any) -> list[str | None]:
        """Codes of the province, city and district given by name (each may be blank)."""
        codes: list[str | None] = []
        parent: str | None = None
        for text in (province, city, district):
            if text in (None, ""):
                codes.append(None)
                continue
            code = self.find(str(text), parent)
            if code is None:
                raise CellError(_(NO_PLACE, mapping={"name": text}))
            codes.append(code)
            parent = code
        return codes


class Lookups:
    """The names one import reads, loaded on first use."""

    def __init__(self, request: Any, permission: str) -> None:
        self.request = request
        self.permission = permission
        self.session = request.dbsession

    @cached_property
    def owners(self) -> dict[str, list[int]]:
        """Username and display name (compared loosely) → ids of users who may own imports."""
        found: dict[str, list[int]] = {}
        people = people_in_scope(
            self.session, self.request.identity, self.permission, region_reaches_all=True
        )
        for user in people:
            for name in {choice_key(user.username), choice_key(user.display_name or "")}:
                if name and user.id not in found.setdefault(name, []):
                    found[name].append(user.id)
        return found

    @cached_property
    def teams(self) -> dict[int, int | None]:
        """User id → team id."""
        return dict(self.session.execute(select(User.id, User.team_id)).all())

    def owner(self, text: Any) -> int:
        """The id of the user named ``text`` who may own what the user imports."""
        ids = self.owners.get(choice_key(text), [])
        if not ids:
            raise CellError(_(NO_OWNER, mapping={"name": text}))
        if len(ids) > 1:
            raise CellError(_(SEVERAL_OWNERS, mapping={"name": text}))
        return ids[0]

    @cached_property
    def places(self) -> Places:
        return Places.load(self.session)

    @cached_property
    def _dictionaries(self) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
        """Kind → (how to read its active entries, their labels in the user's language)."""
        found: dict[str, dict[str, Any]] = {}
        for entry in self.session.scalars(select(DictionaryEntry).where(DictionaryEntry.active)):
            found.setdefault(entry.kind, {})[entry.code] = entry.labels
        result = {}
        for kind, entries in found.items():
            shown = dictionary_labels(self.request, kind)
            labels = {code: shown.get(code, code) for code in entries}
            result[kind] = (choice_index(self.request.registry, entries), labels)
        return result

    def dictionary(self, kind: str, value: Any) -> str:
        """The code of the active entry of ``kind`` given by code or label in any language."""
        index, labels = self._dictionaries.get(kind, ({}, {}))
        return parse_choice(value, index, labels)

    @cached_property
    def tags(self) -> dict[str, int]:
        """Tag name (compared loosely) → id."""
        rows = self.session.execute(select(Tag.id, Tag.name))
        return {choice_key(name): tag_id for tag_id, name in rows}

    def tag_ids(self, text: Any) -> list[int]:
        """The ids of the tags named in ``text`` (``VIP, 重点``)."""
        ids = []
        for name in TAG_SEPARATORS.split(str(text)):
            if not name.strip():
                continue
            tag_id = self.tags.get(choice_key(name))
            if tag_id is None:
                raise CellError(_(NO_TAG, mapping={"name": name.strip()}))
            ids.append(tag_id)
        return list(dict.fromkeys(ids))


def chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size`` (for ``IN`` lists)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
