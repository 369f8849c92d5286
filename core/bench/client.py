"""A lean HTTP/1.1 load client on asyncio streams: keep-alive, cookies, timing per request.

One :class:`Connection` per virtual user keeps its socket open between requests
(as a browser does), so 500 users are 500 open connections.  Parsing is the
minimum a server's answer needs: status line, headers, a ``Content-Length`` or
chunked body.  A single process drives several hundred requests per second
without becoming the bottleneck of a two-core machine.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode, urlsplit

TIMEOUT = 30.0
#: Bytes read at a time from a body written to a file.
READ_SIZE = 1 << 16
_CSRF_RE = re.compile(rb'name="csrf-token" content="([^"]+)"')


class BenchFailure(Exception):
    """An operation did not do what it should (wrong status, missing page content).

    ``recorded`` when the failed request already counted as an error.
    """

    def __init__(self, message: str, recorded: bool = False) -> None:
        super().__init__(message)
        self.recorded = recorded


@dataclass
class Response:
    """What the server answered."""

    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON (an API answer)."""
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to ``host:port``, reopened when the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes,
        sink: BinaryIO | None = None,
    ) -> Response:  # fmt: skip
        """Send one request and read the whole answer; a stale kept-alive socket is retried once.

        With ``sink``, the body of a 200 answer is written there instead of kept
        in memory (a large download).
        """
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        data = (head + f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        reused = self._writer is not None
        try:
            return await self._exchange(data, body, sink)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.close()
            if not reused:
                raise BenchFailure(f"connection failed: {exc!r}") from exc
        return await self._exchange(data, body, sink)  # the server had closed the idle connection

    async def _exchange(self, head: bytes, body: bytes, sink: BinaryIO | None) -> Response:
        if self._writer is None:
            await self._open()
        assert self._reader is not None and self._writer is not None
        self._writer.write(head)
        if body:
            self._writer.write(body)
        await self._writer.drain()
        reader = self._reader
        status_line = await reader.readuntil(b"\r\n")
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: list[str] = []
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _sep, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            headers[name] = value
        target = sink if sink is not None and status == 200 else _Collected()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            await _read_chunked(reader, target)
        else:
            await _read_exactly(reader, int(headers.get("content-length", "0")), target)
        if headers.get("connection", "").lower() == "close":
            self.close()
        body = target.getvalue() if isinstance(target, _Collected) else b""
        return Response(status, headers, cookies, body)


class _Collected(list[bytes]):
    """A body kept in memory (what a sink is otherwise)."""

    def write(self, data: bytes) -> int:
        self.append(data)
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self)


async def _read_exactly(reader: asyncio.StreamReader, size: int, target: Any) -> None:
    while size > 0:
        data = await reader.readexactly(min(size, READ_SIZE))
        target.write(data)
        size -= len(data)


async def _read_chunked(reader: asyncio.StreamReader, target: Any) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return
        await _read_exactly(reader, size, target)
        await reader.readexactly(2)


def multipart(
    fields: dict[str, str], files: dict[str, Path], boundary: str | None = None
) -> tuple[str, bytes]:
    """``(content type, body)`` of a ``multipart/form-data`` form with ``files`` read from disk."""
    boundary = boundary or f"guanxi-bench-{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, path in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts += [head.encode(), path.read_bytes(), b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


@dataclass
class Login:
    """A logged-in generated user: the cookies of their session and their CSRF token."""

    username: str
    role: str
    user_id: int
    team_ids: frozenset[int]
    region_codes: frozenset[str]
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""

    def remember(self, set_cookies: list[str]) -> None:
        """Keep the cookies a response set (an expired one is dropped)."""
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


#: ``record(label, milliseconds, ok)``: where every timed request is reported.
Recorder = Callable[[str, float, bool], None]


class BenchUser:
    """A virtual user: a connection, the login it acts as, a random source and a recorder."""

    def __init__(
        self, connection: Connection, login: Login, rng: random.Random, record: Recorder
    ) -> None:
        self.connection = connection
        self.login = login
        self.rng = rng
        self.record = record
        self.label = ""

    @property
    def role(self) -> str:
        return self.login.role

    @property
    def csrf_token(self) -> str:
        return self.login.csrf_token

    async def request(
        self, method: str, path: str, form: dict[str, Any] | list[tuple[str, Any]] | None = None,
        label: str | None = None, expect: tuple[int, ...] = (200,), *,
        body: bytes = b"", headers: dict[str, str] | None = None,
        sink: BinaryIO | None = None, timeout: float = TIMEOUT,
    ) -> Response:  # fmt: skip
        """Send a request as this user, timed under ``label`` (default: the scenario's name).

        ``form`` is sent url-encoded; otherwise ``body`` as it is, with ``headers``
        (its ``Content-Type`` among them).  ``sink`` takes the body of a 200 answer
        (see :meth:`Connection.request`).  A status outside ``expect`` counts as
        an error and raises :class:`BenchFailure`.
        """
        sent = {"Cookie": self.login.cookie_header, "Accept": "text/html", **(headers or {})}
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self.connection.request(method, path, sent, body, sink), timeout
            )
        except (TimeoutError, OSError, BenchFailure, ValueError) as exc:
            self.connection.close()
            self.record(label or self.label, (time.perf_counter() - started) * 1000, False)
            raise BenchFailure(f"{method} {path}: {exc!r}", recorded=True) from exc
        ok = response.status in expect
        self.record(label or self.label, (time.perf_counter() - started) * 1000, ok)
        self.login.remember(response.cookies)
        if not ok:
            detail = response.text[:300] if response.body else ""
            message = f"{method} {path}: HTTP {response.status} {detail}".rstrip()
            raise BenchFailure(message, recorded=True)
        return response

    async def api(
        self, method: str, path: str, payload: Any = None, label: str | None = None,
        expect: tuple[int, ...] = (200,), *, body: bytes = b"", content_type: str = "",
        sink: BinaryIO | None = None, timeout: float = TIMEOUT,
    ) -> Response:  # fmt: skip
        """Call the REST API with this user's session cookie and CSRF header (as the web UI does).

        ``payload`` is sent as JSON; otherwise ``body`` with ``content_type``
        (e.g. from :func:`multipart`).
        """
        headers = {"Accept": "application/json", "X-CSRF-Token": self.csrf_token}
        if payload is not None:
            body, content_type = json.dumps(payload).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        return await self.request(
            method, path, None, label, expect, body=body, headers=headers, sink=sink,
            timeout=timeout,
        )  # fmt: skip

    async def get(self, path: str, label: str | None = None) -> Response:
        """GET ``path``; anything but 200 is an error."""
        return await self.request("GET", path, label=label)

    async def post(
        self, path: str, form: dict[str, Any] | list[tuple[str, Any]], label: str | None = None
    ) -> Response:
        """POST a form (the CSRF token added); the usual answer is a redirect (303)."""
        fields = list(form.items()) if isinstance(form, dict) else list(form)
        if not any(name == "csrf_token" for name, _value in fields):
            fields.append(("csrf_token", self.csrf_token))
        return await self.request("POST", path, fields, label, expect=(302, 303))


async def log_in(connection: Connection, login: Login, password: str) -> None:
    """Log ``login`` in through the login form, keeping its cookies and CSRF token."""
    recorder: Recorder = lambda label, ms, ok: None  # noqa: E731 (logins are not measured)
    user = BenchUser(connection, login, random.Random(0), recorder)
    page = await user.get("/login", label="login")
    match = _CSRF_RE.search(page.body)
    if match is None:
        raise BenchFailure("no CSRF token on the login page")
    login.csrf_token = match.group(1).decode()
    await user.post("/login", {"login": login.username, "password": password})
    home = await user.get("/", label="login")
    match = _CSRF_RE.search(home.body)
    if match is None or "/login" in home.headers.get("location", ""):
        raise BenchFailure(f"{login.username} could not log in")
    login.csrf_token = match.group(1).decode()


def split_url(url: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://`` base URL."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError("the bench speaks plain http://host:port (put TLS in front separately)")
    return parts.hostname, parts.port or 80
