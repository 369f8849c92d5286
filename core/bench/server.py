"""A ``guanxi serve`` child process for benchmarks run without ``--url``.

The server is a separate process (with its own workers) so that the load
generator never shares an interpreter with the application it measures.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

STARTUP_SECONDS = 60.0
#: ``guanxi`` itself, run by this interpreter (the console script may not be on PATH).
_MAIN = "import sys; from core.cli import main; sys.exit(main())"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(host: str, port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``/healthz`` until it answers 200; raise when the server died or took too long."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            connection = http.client.HTTPConnection(host, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer within {STARTUP_SECONDS:.0f} s")


@contextlib.contextmanager
def served(config: str, workers: int, threads: int, port: int | None = None) -> Iterator[str]:
    """Run ``guanxi -c config serve`` on a free port; yield its base URL; stop it afterwards."""
    port = port or free_port()
    command = [
        sys.executable, "-c", _MAIN, "-c", config, "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--threads", str(threads),
    ]  # fmt: skip
    # This interpreter with our own arguments: nothing untrusted reaches the command.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=dict(os.environ))  # noqa: S603
    try:
        wait_until_up("127.0.0.1", port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
