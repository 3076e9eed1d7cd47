"""The app under uvicorn: the event loop its database wants, and with several workers a listening socket
per worker.

uvicorn's own multi-worker mode binds one socket that every worker accepts from. Linux wakes the worker
that went back to waiting last (epoll wakes in LIFO order), which is the busy one, so connections opened
in a burst pile onto one worker, and keep-alive keeps them there for as long as the client stays: with
``bench/load.py``'s 50 users on PostgreSQL's two workers, splits of 12/38 and 15/35 connections were
usual, and the p99 of the run followed the split (about 350 ms at 25/25, 520-590 ms at 15/35). Here each
worker listens on a socket of its own bound with ``SO_REUSEPORT``, and the kernel spreads new connections
over them by a hash of the client's address and port (splits of 20/30 to 25/25 in the same runs). Other
systems (and one worker) keep uvicorn's shared socket.

uvicorn's supervisor still runs the workers (health checks, restarts, signals): it is handed a
placeholder that every worker unpickles into a socket of its own (:class:`_SocketPerWorker`).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from typing import Any, cast

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from service.config import get_settings
from service.db.database import uvicorn_loop

APP = "service.main:create_app"
# Linux balances connections over the sockets of a reuse-port group; elsewhere SO_REUSEPORT exists on
# some systems but gives every connection to one socket, or is missing.
BALANCES_REUSE_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` in the port's reuse-port group.

    Only listening sockets receive connections: the parent keeps one bound but not listening, so the
    address is checked (and held) before any worker starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class _SocketPerWorker:
    """Stands in a worker's socket list: pickled into each spawned worker, it becomes a listening socket
    of that worker's own there (uvicorn hands the same list to every worker)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[object, tuple[str, int]]:
        return (_listening_socket, (self.host, self.port))


def _listening_socket(host: str, port: int) -> socket.socket:
    return reuse_port_socket(host, port, listen=True)


def serve(
    *, host: str, port: int, workers: int, log_level: str, database_url: str, access_log: bool = True
) -> None:
    """Serve the app (``service.main:create_app``) until interrupted."""
    options: dict[str, Any] = {
        "factory": True,
        "loop": uvicorn_loop(database_url, workers),
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": log_level,
        "access_log": access_log,
    }
    if workers == 1 or not BALANCES_REUSE_PORT:
        uvicorn.run(APP, **options)
        return
    config = uvicorn.Config(APP, **options)
    held = reuse_port_socket(host, port, listen=False)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d, a socket per worker (SO_REUSEPORT)", host, port
    )
    try:
        sockets = [cast(socket.socket, _SocketPerWorker(host, port))]
        Multiprocess(config, sockets=sockets).run()
    finally:
        held.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m service.serving``: the server alone, without ``dlquiz serve``'s migration and content
    sync (the tests and benches prepare the database themselves)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args(argv)
    serve(
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        database_url=get_settings().resolved_database_url,
        access_log=args.access_log,
    )


if __name__ == "__main__":
    main()
