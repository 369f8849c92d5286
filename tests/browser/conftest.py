"""Browser test helpers: people of their own in the live database, logged-in pages.

The live server's database is shared by every browser test of a worker, in any
order, so each test makes its own users (unique names, a fixed language) and
never changes anything another test relies on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from core.security.models import Team
from core.testing import TEST_PASSWORD, Factory, LiveServer

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FAILED_RESOURCE = "Failed to load resource: the server responded with a status of"


def unique(prefix: str) -> str:
    """``prefix`` with a random suffix, for names no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Person:
    """A user of the live server."""

    id: int
    username: str
    display_name: str


@pytest.fixture
def people(live_server: LiveServer) -> Callable[..., Person]:
    """``people(role, team=name, language="en")`` adds an active user with TEST_PASSWORD."""

    def make(
        role: str | None = "sales_rep",
        *,
        team: str | None = None,
        language: str | None = "en",
    ) -> Person:
        username = unique(role or "user")
        with live_server.session() as session:
            found = session.scalars(select(Team).where(Team.name == team)).one() if team else None
            user = Factory(session).user(
                username, role=role, team=found, language=language, display_name=username
            )
            return Person(user.id, user.username, user.display_name)

    return make


def log_in(page: Any, base_url: str, username: str, next_path: str = "/") -> None:
    """Log in through the form, with the keyboard, and wait until at ``next_path``."""
    page.goto(f"{base_url}/login?{urlencode({'next': next_path})}")
    page.fill("#login", username)
    page.fill("#password", TEST_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{base_url}{next_path}")


@pytest.fixture
def sign_in(chromium: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """``sign_in(username, next_path="/", viewport=DESKTOP, locale="en-US")``: a new browser,
    logged in, at ``next_path``. Confirmation dialogs (``data-confirm``) are accepted; script
    errors and CSP refusals in the console fail the test.
    """
    contexts: list[Any] = []
    problems: list[str] = []

    def note_console(message: Any, url: str) -> None:
        # Error statuses are what some tests look for; anything else (a script
        # error, a CSP refusal) is a bug.
        if message.type == "error" and not message.text.startswith(FAILED_RESOURCE):
            problems.append(f"{url}: {message.text}")

    def open_page(
        username: str,
        next_path: str = "/",
        viewport: dict[str, int] = DESKTOP,
        locale: str = "en-US",
    ) -> Any:
        context = chromium.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.on("console", lambda message: note_console(message, page.url))
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        log_in(page, live_server.url, username, next_path)
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
    assert not problems, "errors in the browser console:\n" + "\n".join(problems)
