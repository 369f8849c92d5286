"""``guanxi serve``: waitress, optionally pre-forked into several worker processes."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from typing import Any

from core.cli import command

#: Connections the kernel queues while every worker is busy (a burst of 500 users).
BACKLOG = 1024


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6543)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes sharing one listening socket (default 1)"
    )
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    parser.add_argument(
        "--connection-limit", type=int, default=500, help="open connections per process"
    )
    parser.add_argument(
        "--channel-timeout", type=int, default=60, help="seconds an idle keep-alive stays open"
    )


def _serve(app: Any, sock: socket.socket, args: argparse.Namespace) -> None:
    from waitress import serve

    serve(
        app,
        sockets=[sock],
        threads=args.threads,
        connection_limit=args.connection_limit,
        channel_timeout=args.channel_timeout,
        asyncore_use_poll=True,  # select() is capped at 1024 descriptors and slow at 500
        cleanup_interval=10,
        ident="guanxi",
        clear_untrusted_proxy_headers=True,
    )


@command("serve", "serve the application with waitress", _arguments)
def serve_command(args: argparse.Namespace, env: Any) -> int:
    """Bind once, then serve in this process or in ``--workers`` forked children."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(BACKLOG)
    print(
        f"Guanxi CRM serving on http://{args.host}:{args.port} ({args.workers} worker(s))",
        flush=True,
    )
    if args.workers <= 1:
        _serve(env.app, sock, args)
        return 0
    env.registry["dbengine"].dispose()
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:  # child: a fresh connection pool, then serve forever
            env.registry["dbengine"].dispose(close=False)
            _serve(env.app, sock, args)
            os._exit(0)
        children.append(pid)

    def stop(signum: int, frame: Any) -> None:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in children:
        os.wait()
    return 0
