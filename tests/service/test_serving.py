"""Several workers under ``service.serving``: a listening socket each, and connections spread over them.

Linux only (the sockets and their owners are read from ``/proc``), as is the socket per worker itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from service.db import migrate
from service.db.session import make_engine
from service.serving import BALANCES_REUSE_PORT
from tests import loopback
from tests.server import ROOT, running_server
from tests.sockets import ESTABLISHED, LISTEN, owners, sockets

pytestmark = pytest.mark.skipif(
    not BALANCES_REUSE_PORT and os.environ.get("CI", "").lower() != "true",
    reason="a socket per worker is Linux's (in CI these tests always run)",
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database for the server."""
    url = f"sqlite:///{tmp_path / 'serving.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return {"DLQUIZ_DATABASE_URL": url}


def test_each_worker_listens_and_connections_reach_both(env: dict[str, str]) -> None:
    with running_server(env, workers=2) as base:
        port = int(base.rsplit(":", 1)[1])
        listening = owners(sockets(port, LISTEN))
        assert len(listening) == 2, listening  # two workers, a listening socket each
        assert set(listening.values()) == {1}
        clients = [loopback.client(base_url=base, timeout=30) for _ in range(24)]
        try:
            for client in clients:  # each keeps its connection open
                assert client.get("/healthz").status_code == 200
            serving = owners(sockets(port, ESTABLISHED))
        finally:
            for client in clients:
                client.close()
    # 24 connections hashed over two sockets all land on one with probability 2**-23
    assert set(serving) == set(listening), (serving, listening)
    assert sum(serving.values()) == 24


def test_a_taken_port_stops_the_server_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "service.serving", "--port", str(port), "--workers", "2"]
        env = {**os.environ, "DLQUIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'serving.db'}"}
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Address already in use" in result.stderr


def test_no_socket_is_left_listening_after_a_stop(env: dict[str, str]) -> None:
    with running_server(env, workers=2) as base:
        port = int(base.rsplit(":", 1)[1])
    with pytest.raises(httpx.TransportError):
        loopback.get(f"{base}/healthz", timeout=2)
    assert not sockets(port, LISTEN)
