"""Every hook is documented in its spec and in the plugin guide."""

from __future__ import annotations

import inspect
from pathlib import Path

from core import hookspecs

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [
        name
        for name, _obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("guanxi_")
    ]


def test_there_are_hooks():
    assert len(hook_names()) >= 10


def test_every_hookspec_has_a_docstring_saying_when_and_what():
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 60, f"{name} needs a docstring (when it is called, args, return)"
        assert "Called" in doc, f"{name}'s docstring must say when it is called"


def test_every_hook_is_in_the_plugin_guide():
    text = GUIDE.read_text(encoding="utf-8")
    missing = [name for name in hook_names() if f"`{name}" not in text]
    assert not missing, f"docs/plugins.md does not document: {missing}"
