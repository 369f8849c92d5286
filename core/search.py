"""CJK-aware search index: per-record search terms, stored in FTS5 or a GIN-indexed array.

A record's search text is a space-separated set of terms computed on write:
CJK characters as unigrams and bigrams, Latin words, digit runs, phone numbers
(whole and last four digits), e-mail addresses (whole and local part) and the
toneless pinyin and pinyin initials of person names.  A query is cut the same
way (:func:`query_terms`) and every term must match; Latin terms match as
prefixes.

Storage is dialect-specific and created by the core revision ``search_index``:
on SQLite ``search_entries`` (id ↔ record) plus the FTS5 table ``search_fts``
whose rowid is the entry id; on PostgreSQL ``search_entries`` holds the terms
as ``text[]`` under a GIN index, with the prefixes of Latin terms stored too so
that ``terms @> ARRAY[...]`` answers prefix queries exactly from the index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

MAX_TERMS_LENGTH = 4000
MAX_QUERY_TERMS = 16
PREFIX_LENGTH = 10
"""PostgreSQL stores prefixes of Latin terms up to this length."""

SURNAME_PINYIN = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
}
"""Polyphonic characters read differently as the first character of a person's name."""

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RE = re.compile(f"[{_CJK}]")
_TOKEN_RE = re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<digits>\\d+)|(?P<word>(?:(?![{_CJK}])[^\\W\\d_])+)")
_EMAIL_RE = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")

SEARCH_TABLES = frozenset(
    {
        "search_entries",
        "search_fts",
        *(f"search_fts_{part}" for part in ("data", "idx", "content", "docsize", "config")),
    }
)
"""Tables of the search index (and FTS5's shadow tables): created by hand, not by the models."""


def include_in_autogenerate(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    """Alembic ``include_object`` hook: leave the dialect-specific search tables alone."""
    return not (type_ == "table" and name in SEARCH_TABLES)


# -- tokenisation -------------------------------------------------------------


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _cjk_terms(run: str) -> list[str]:
    return [*run, *(run[i : i + 2] for i in range(len(run) - 1))]


def _text_terms(text: str) -> list[str]:
    if text.isascii() and (text.isalpha() or text.isdigit()):  # a pinyin reading, a number
        return [text.lower()]
    terms: list[str] = []
    for match in _TOKEN_RE.finditer(normalise(text)):
        if match.lastgroup == "cjk":
            terms += _cjk_terms(match.group())
        else:
            terms.append(match.group())
    return terms


@lru_cache(maxsize=65536)
def char_pinyin(char: str) -> str:
    """The toneless pinyin of one CJK character (its most common reading), remembered.

    Names are read character by character, so each character is looked up once
    per process instead of once per name (bulk imports read thousands a second).
    pypinyin's dictionaries (~55 MB) are loaded on first use, not by processes
    that never index a name (exports).
    """
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL)[0]


def pinyin_of_name(name: str, is_person: bool = True) -> tuple[str, str]:
    """Toneless full pinyin and initials of the CJK characters of ``name``.

    ``("zhangsan", "zs")`` for 张三; a person's polyphonic surname is read as a
    surname (单伟 → ``("shanwei", "sw")``).  Empty strings when there is no CJK.
    """
    name = normalise(name).strip()
    syllables = [char_pinyin(char) for char in name if _CJK_RE.fullmatch(char)]
    if not syllables:
        return "", ""
    if is_person and name[0] in SURNAME_PINYIN:
        syllables[0] = SURNAME_PINYIN[name[0]]
    return "".join(syllables), "".join(s[0] for s in syllables)


def _phone_terms(phone: str) -> list[str]:
    digits = re.sub(r"\D", "", normalise(phone))
    if not digits:
        return []
    terms = [digits]
    national = re.fullmatch(r"(?:0086|86)(1\d{10})", digits)
    if national:
        terms.append(national.group(1))
    return [*terms, digits[-4:]]


def _email_terms(email: str) -> list[str]:
    address = normalise(email).strip()
    if "@" not in address:
        return _text_terms(address)
    return [address, address.split("@", 1)[0]]


def index_terms(
    *texts: str,
    person_names: Iterable[str] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
) -> str:
    """The search terms of one record: unique, space-separated, at most ``MAX_TERMS_LENGTH``."""
    terms: list[str] = []
    for name in person_names:
        terms += _text_terms(name)
        terms += [t for t in pinyin_of_name(name) if t]
    for phone in phones:
        terms += _phone_terms(phone)
    for email in emails:
        terms += _email_terms(email)
    for text in texts:
        terms += _text_terms(text)
    kept: list[str] = []
    length = -1
    for term in dict.fromkeys(terms):
        length += len(term) + 1
        if length > MAX_TERMS_LENGTH:
            break
        kept.append(term)
    return " ".join(kept)


def query_terms(q: str) -> list[str]:
    """The terms a query must all match: CJK unigram (one character) or bigrams, words, digits.

    Latin words are matched as prefixes (see :func:`is_prefix_term`); an e-mail
    address is one exact term.
    """
    q = normalise(q)
    terms = _EMAIL_RE.findall(q)
    for match in _TOKEN_RE.finditer(_EMAIL_RE.sub(" ", q)):
        run = match.group()
        if match.lastgroup == "cjk" and len(run) > 1:
            terms += [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            terms.append(run)
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]


def is_prefix_term(term: str) -> bool:
    """Latin words and pinyin (letters, no CJK) match by prefix."""
    return term.isalpha() and not _CJK_RE.search(term)


# -- storage -------------------------------------------------------------------

_metadata = sa.MetaData()
_sqlite_entries = sa.Table(
    "search_entries",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("record_type", sa.String(64)),
    sa.Column("record_id", sa.Integer),
)
_sqlite_fts = sa.Table(
    "search_fts",
    _metadata,
    sa.Column("rowid", sa.Integer, primary_key=True),
    sa.Column("terms", sa.Text),
)
_pg_entries = sa.Table(
    "search_entries",
    sa.MetaData(),
    sa.Column("record_type", sa.String(64), primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True),
    sa.Column("terms", postgresql.ARRAY(sa.Text)),
)


def _fts_query(terms: list[str]) -> str:
    phrases = ['"' + term.replace('"', '""') + '"' for term in terms]
    return " AND ".join(
        p + "*" if is_prefix_term(t) else p for p, t in zip(phrases, terms, strict=True)
    )


def _stored_terms(terms: str) -> list[str]:
    """PostgreSQL: the terms plus the prefixes of Latin terms, so ``@>`` serves prefix search."""
    stored = terms.split()
    for term in terms.split():
        if is_prefix_term(term):
            stored += [term[:n] for n in range(1, min(len(term), PREFIX_LENGTH) + 1)]
    return list(dict.fromkeys(stored))


class SearchIndex:
    """Write and query the search index on SQLite (FTS5) or PostgreSQL (GIN over ``text[]``)."""

    def upsert(self, session: Any, record_type: str, record_id: int, terms: str) -> None:
        """Store ``terms`` (from :func:`index_terms`) as the search text of one record."""
        if _dialect(session) == "postgresql":
            insert = postgresql.insert(_pg_entries).values(
                record_type=record_type, record_id=record_id, terms=_stored_terms(terms)
            )
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["record_type", "record_id"],
                    set_={"terms": insert.excluded.terms},
                )
            )
            return
        entry_id = session.execute(
            sa.text(
                "INSERT INTO search_entries (record_type, record_id) VALUES (:t, :i) "
                "ON CONFLICT (record_type, record_id) DO UPDATE SET record_id = excluded.record_id "
                "RETURNING id"
            ),
            {"t": record_type, "i": record_id},
        ).scalar_one()
        session.execute(sa.delete(_sqlite_fts).where(_sqlite_fts.c.rowid == entry_id))
        session.execute(sa.insert(_sqlite_fts).values(rowid=entry_id, terms=terms))

    def upsert_many(
        self, session: Any, record_type: str, entries: Sequence[tuple[int, str]]
    ) -> None:
        """Store the terms of many records at once: ``(record id, terms)`` pairs."""
        if not entries:
            return
        if _dialect(session) == "postgresql":
            insert = postgresql.insert(_pg_entries)
            session.connection().execute(
                insert.on_conflict_do_update(
                    index_elements=["record_type", "record_id"],
                    set_={"terms": insert.excluded.terms},
                ),
                [
                    {"record_type": record_type, "record_id": record_id, "terms": _stored_terms(t)}
                    for record_id, t in entries
                ],
            )
            return
        self.delete_many(session, record_type, [record_id for record_id, _terms in entries])
        # Entry ids ascend in the order of the rows: SQLite numbers them one by one.
        connection = session.connection()
        entry_ids = sorted(
            connection.execute(
                sa.insert(_sqlite_entries).returning(_sqlite_entries.c.id),
                [{"record_type": record_type, "record_id": record_id} for record_id, _t in entries],
            ).scalars()
        )
        connection.execute(
            sa.insert(_sqlite_fts),
            [
                {"rowid": entry_id, "terms": terms}
                for entry_id, (_record_id, terms) in zip(entry_ids, entries, strict=True)
            ],
        )

    def delete_many(self, session: Any, record_type: str, record_ids: Sequence[int]) -> None:
        """Remove many records from the index (those not in it are ignored)."""
        for start in range(0, len(record_ids), 500):
            chunk = list(record_ids[start : start + 500])
            if _dialect(session) == "postgresql":
                session.execute(
                    sa.delete(_pg_entries).where(
                        _pg_entries.c.record_type == record_type,
                        _pg_entries.c.record_id.in_(chunk),
                    )
                )
                continue
            entry_ids = list(
                session.execute(
                    sa.delete(_sqlite_entries)
                    .where(
                        _sqlite_entries.c.record_type == record_type,
                        _sqlite_entries.c.record_id.in_(chunk),
                    )
                    .returning(_sqlite_entries.c.id)
                ).scalars()
            )
            if entry_ids:
                session.execute(sa.delete(_sqlite_fts).where(_sqlite_fts.c.rowid.in_(entry_ids)))

    @staticmethod
    def stored_terms(dialect: str, terms: str) -> Any:
        """``terms`` (of :func:`index_terms`) as ``dialect`` stores them (PostgreSQL: prefixes)."""
        return _stored_terms(terms) if dialect == "postgresql" else terms

    def add_many(
        self,
        connection: Any,
        record_type: str,
        entries: Iterable[tuple[int, Any]],
        stored: bool = False,
    ) -> int:
        """Index records that have no entry yet: ``(record_id, terms)`` pairs, in bulk.

        The bulk paths (generator, import) use it instead of :meth:`upsert`:
        COPY on PostgreSQL, one ``executemany`` per table on SQLite.  With
        ``stored`` the terms are already in :meth:`stored_terms` form (computed
        where the rows were built, e.g. in worker processes).
        """
        from core.bulk import next_id, write_rows

        dialect = connection.dialect.name
        if not stored:
            entries = (
                (record_id, self.stored_terms(dialect, terms)) for record_id, terms in entries
            )
        if dialect == "postgresql":
            rows = ((record_type, record_id, terms) for record_id, terms in entries)
            return write_rows(connection, _pg_entries, ("record_type", "record_id", "terms"), rows)
        pairs = list(entries)
        first = next_id(connection, _sqlite_entries)
        ids = range(first, first + len(pairs))
        write_rows(
            connection,
            _sqlite_entries,
            ("id", "record_type", "record_id"),
            (
                (entry_id, record_type, record_id)
                for entry_id, (record_id, _t) in zip(ids, pairs, strict=True)
            ),
        )
        return write_rows(
            connection,
            _sqlite_fts,
            ("rowid", "terms"),
            ((entry_id, terms) for entry_id, (_r, terms) in zip(ids, pairs, strict=True)),
        )

    def delete(self, session: Any, record_type: str, record_id: int) -> None:
        """Remove one record from the index (nothing happens when it is not there)."""
        if _dialect(session) == "postgresql":
            session.execute(
                sa.delete(_pg_entries).where(
                    _pg_entries.c.record_type == record_type, _pg_entries.c.record_id == record_id
                )
            )
            return
        entry_id = session.execute(
            sa.delete(_sqlite_entries)
            .where(
                _sqlite_entries.c.record_type == record_type,
                _sqlite_entries.c.record_id == record_id,
            )
            .returning(_sqlite_entries.c.id)
        ).scalar_one_or_none()
        if entry_id is not None:
            session.execute(sa.delete(_sqlite_fts).where(_sqlite_fts.c.rowid == entry_id))

    def matching(
        self, session: Any, record_type: str, q: str, newest: int | None = None
    ) -> sa.Select | None:
        """A SELECT of the ids of the records of ``record_type`` matching every term of ``q``.

        ``None`` when ``q`` has no terms.  Use it as ``Model.id.in_(...)`` to search
        with other conditions (the data scope) in the same statement; the lookup is
        the FTS5 MATCH on SQLite (``id IN (SELECT rowid … MATCH …)``) and the GIN
        index on PostgreSQL.  With ``newest`` only the most recently indexed
        matches count (SQLite: of every type, read newest first from the index and
        stopped early): a lone common surname matches tens of thousands of records
        at a million customers, and every one of them would be read.
        """
        terms = query_terms(q)
        if not terms:
            return None
        # The record type is compared as an expression, not as the bare column, so
        # that no planner walks every entry of the type through the (record_type,
        # record_id) key and checks the terms row by row: SQLite does without
        # ANALYZE statistics, PostgreSQL on small or freshly loaded tables.
        if _dialect(session) == "postgresql":
            found = sa.select(_pg_entries.c.record_id).where(
                _pg_entries.c.record_type.concat("") == record_type, *_pg_conditions(terms)
            )
            return (
                found
                if newest is None
                else found.order_by(_pg_entries.c.record_id.desc()).limit(newest)
            )
        matches = sa.select(_sqlite_fts.c.rowid).where(_sqlite_fts.c.terms.match(_fts_query(terms)))
        if newest is not None:
            matches = matches.order_by(_sqlite_fts.c.rowid.desc()).limit(newest)
        return sa.select(_sqlite_entries.c.record_id).where(
            _sqlite_entries.c.id.in_(matches),
            _sqlite_entries.c.record_type.concat("") == record_type,
        )

    def search(
        self,
        session: Any,
        record_type: str,
        q: str,
        limit: int = 50,
        scope_subquery: Any = None,
    ) -> list[int]:
        """Ids of the records of ``record_type`` matching every term of ``q``, newest id first.

        ``scope_subquery`` (a SELECT of ids) restricts the result to records in scope.
        """
        query = self.matching(session, record_type, q)
        if query is None:
            return []
        record_id = query.selected_columns.record_id
        if scope_subquery is not None:
            query = query.where(record_id.in_(scope_subquery))
        return list(session.scalars(query.order_by(record_id.desc()).limit(limit)))


def _pg_conditions(terms: list[str]) -> list[Any]:
    """``terms @> ARRAY[...]`` (index-backed) plus a recheck for prefixes longer than stored."""
    column = _pg_entries.c.terms
    wanted = [t[:PREFIX_LENGTH] if is_prefix_term(t) else t for t in terms]
    conditions = [column.contains(wanted)]
    for term in terms:
        if is_prefix_term(term) and len(term) > PREFIX_LENGTH:
            element = sa.func.unnest(column).table_valued("value").render_derived("term")
            conditions.append(
                sa.exists()
                .select_from(element)
                .where(sa.func.left(element.c.value, len(term)) == term)
            )
    return conditions


def _dialect(session: Any) -> str:
    return str(session.get_bind().dialect.name)
