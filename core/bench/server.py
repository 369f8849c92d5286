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
from dataclasses import dataclass
from pathlib import Path

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


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the forked workers of ``guanxi serve``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (name) state ppid …": the name may hold spaces, so split after its ")"
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@dataclass(frozen=True)
class Served:
    """A server this bench started: its address and its process (parent of the workers)."""

    url: str
    pid: int

    def processes(self) -> list[int]:
        return [self.pid, *children(self.pid)]

    def reset_peak_memory(self) -> None:
        """Start measuring the peak resident memory afresh (Linux; otherwise nothing happens)."""
        for pid in self.processes():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_memory_mb(self) -> float | None:
        """The largest peak resident memory (VmHWM) of the server's processes, in MB."""
        peaks = []
        for pid in self.processes():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]))
        return round(max(peaks) / 1024, 1) if peaks else None


@contextlib.contextmanager
def served(config: str, workers: int, threads: int, port: int | None = None) -> Iterator[Served]:
    """Run ``guanxi -c config serve`` on a free port; yield it running; stop it afterwards."""
    port = port or free_port()
    command = [
        sys.executable, "-c", _MAIN, "-c", config, "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--threads", str(threads),
    ]  # fmt: skip
    # This interpreter with our own arguments: nothing untrusted reaches the command.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=dict(os.environ))  # noqa: S603
    try:
        wait_until_up("127.0.0.1", port, process)
        yield Served(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
