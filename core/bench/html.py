"""Read a page's form the way a browser submits it, for the write scenarios of ``guanxi bench``."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

#: Input types a browser never submits by themselves.
_NOT_SENT = {"submit", "button", "reset", "image", "file"}


class _FormReader(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.found:
            target = (a.get("action") or self.action).split("?")[0]  # no action: this page
            self.inside = a.get("method", "get").lower() == "post" and target == self.action
            self.found = self.inside
            return
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type", "text") not in _NOT_SENT:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if chosen or self._options:
                self.values.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def form_values(page: str, action: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs the POST form sending to ``action`` (a path) would send.

    A form without an action posts to the page it is on: pass that page's path.

    Raises ``LookupError`` when the page has no such form.
    """
    reader = _FormReader(action)
    reader.feed(page)
    if not reader.found:
        raise LookupError(f"no form posts to {action}")
    return reader.values


def replace(values: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    """``values`` with the fields named in ``changes`` set (added when missing)."""
    kept = [(name, value) for name, value in values if name not in changes]
    return kept + list(changes.items())


_ERRORS_RE = re.compile(
    r'<div[^>]*class="(?:invalid-feedback[^"]*|alert alert-danger)"[^>]*>(.*?)</div>\s*</div>', re.S
)


def form_errors(page: str) -> list[str]:
    """The error messages a form page shows (field and form errors), as text."""
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found)).split())
        for found in _ERRORS_RE.findall(page)
    ]
