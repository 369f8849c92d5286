"""The pattern of automatic customer codes, such as ``C{yyyy}{seq:06}`` (an admin setting).

Parts: ``{yyyy}`` the year, ``{yy}`` its last two digits, ``{mm}`` the month,
and exactly one ``{seq:0N}``: a number of N digits that counts up per rendered
prefix (with ``C{yyyy}{seq:06}`` it restarts every year).  Text between the
parts is letters, digits, ``-`` and ``_``, kept in capitals like every code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.audit import record_event
from core.settings_store import get_setting, set_setting
from plugins.customers import _

CODE_PATTERN_SETTING = "customers.code_pattern"
DEFAULT_CODE_PATTERN = "C{yyyy}{seq:06}"
CODE_MAX = 32
SEQ_WIDTHS = range(3, 11)
PART = re.compile(r"\{([^{}]*)\}")
SEQ = re.compile(r"^seq:0(\d+)$")
LITERAL = re.compile(r"^[A-Za-z0-9_-]*$")
#: Date parts: how each renders, and its length.
DATE_PARTS: dict[str, tuple[Callable[[dt.date], str], int]] = {
    "yyyy": (lambda day: f"{day.year:04d}", 4),
    "yy": (lambda day: f"{day.year % 100:02d}", 2),
    "mm": (lambda day: f"{day.month:02d}", 2),
}

SEQ_NEEDED = _("Include exactly one sequence number, such as {seq:06} (3 to 10 digits).")
UNKNOWN_PART = _("{${part}} is not a part of code patterns. Use {yyyy}, {yy}, {mm} and {seq:06}.")
BAD_TEXT = _("Between the parts, use letters, digits, - and _ only.")
TOO_LONG = _("Codes of this pattern would be longer than 32 characters.")

#: A piece of a pattern: ``("text", "C")`` or ``("date", "yyyy")``.
Piece = tuple[str, str]


@dataclass(frozen=True)
class CodePattern:
    """A parsed pattern: the pieces before and after the sequence number, and its width."""

    text: str
    before: tuple[Piece, ...]
    width: int
    after: tuple[Piece, ...]

    def render(self, day: dt.date) -> tuple[str, str]:
        """The text before and after the sequence number on ``day``."""
        return _render(self.before, day), _render(self.after, day)

    def example(self, day: dt.date, number: int = 1) -> str:
        """The code with sequence number ``number`` on ``day``."""
        before, after = self.render(day)
        return f"{before}{number:0{self.width}d}{after}"


def _render(pieces: tuple[Piece, ...], day: dt.date) -> str:
    return "".join(DATE_PARTS[value][0](day) if kind == "date" else value for kind, value in pieces)


def _length(pieces: tuple[Piece, ...]) -> int:
    return sum(DATE_PARTS[value][1] if kind == "date" else len(value) for kind, value in pieces)


def parse_pattern(text: str) -> CodePattern:
    """The pattern ``text`` with its literal text in capitals, or ``ValueError(message)``."""
    pieces = PART.split(text.strip())
    literals, names = pieces[0::2], pieces[1::2]
    if not all(LITERAL.match(literal) for literal in literals):
        raise ValueError(BAD_TEXT)
    for name in names:
        if name not in DATE_PARTS and not SEQ.match(name):
            raise ValueError(_(UNKNOWN_PART, mapping={"part": name}))
    widths = [int(match.group(1)) for name in names if (match := SEQ.match(name))]
    if len(widths) != 1 or widths[0] not in SEQ_WIDTHS:
        raise ValueError(SEQ_NEEDED)
    flat: list[Piece] = []
    for index, literal in enumerate(literals):
        if literal:
            flat.append(("text", literal.upper()))
        if index < len(names):
            flat.append(("seq" if SEQ.match(names[index]) else "date", names[index]))
    seq_at = next(index for index, piece in enumerate(flat) if piece[0] == "seq")
    before, after = tuple(flat[:seq_at]), tuple(flat[seq_at + 1 :])
    if _length(before) + widths[0] + _length(after) > CODE_MAX:
        raise ValueError(TOO_LONG)
    text = _source(before) + f"{{seq:0{widths[0]}}}" + _source(after)
    return CodePattern(text, before, widths[0], after)


def _source(pieces: tuple[Piece, ...]) -> str:
    return "".join("{" + value + "}" if kind == "date" else value for kind, value in pieces)


def code_pattern(session: Session) -> CodePattern:
    """The pattern the administrator set (``C{yyyy}{seq:06}`` until one does)."""
    return parse_pattern(get_setting(session, CODE_PATTERN_SETTING, DEFAULT_CODE_PATTERN))


def save_code_pattern(session: Session, text: str) -> CodePattern:
    """Store the pattern ``text`` (``ValueError(message)`` when invalid); audited."""
    pattern = parse_pattern(text)
    before = code_pattern(session).text
    if pattern.text != before:
        set_setting(session, CODE_PATTERN_SETTING, pattern.text)
        record_event(
            session,
            "settings_changed",
            record_type="system_settings",
            record_id=CODE_PATTERN_SETTING,
            changes={CODE_PATTERN_SETTING: [before, pattern.text]},
        )
    return pattern
