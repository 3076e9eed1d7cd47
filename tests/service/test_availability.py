"""The service under trouble, over real HTTP: many concurrent users on one SQLite worker, and a
PostgreSQL server that goes away and comes back.

The load test is the regression test for the deadlock of issue 10 (about 45 concurrent users made one
SQLite worker stop answering): it asserts correctness only, never timing (speed is ``bench/load.py``'s).
The outage test runs its own throwaway PostgreSQL cluster (``initdb`` + ``pg_ctl`` in a temporary
folder), never the shared server.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.db import migrate
from service.db.session import make_engine
from tests import loopback
from tests.load import check_writes, run_users
from tests.server import free_port, running_server
from tests.service.api.conftest import CHEAP_HASHING, PASSWORD

LOAD_USERS = 60
LOAD_SECONDS = 6


def test_sixty_concurrent_users_on_one_sqlite_worker_get_answers_and_lose_no_write(
    tmp_path: Path, content_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'load.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {"DLQUIZ_DATABASE_URL": url, "DLQUIZ_CONTENT_DIR": str(content_dir), **CHEAP_HASHING}
    log = tmp_path / "uvicorn.log"
    with running_server(env, log_path=log) as base:
        outcome = asyncio.run(run_users(base, users=LOAD_USERS, seconds=LOAD_SECONDS, prefix="load"))
        assert not outcome.failures, (outcome.failures, log.read_text()[-3000:])
        assert len(outcome.usernames) == LOAD_USERS and outcome.gave_up == 0
        assert outcome.requests() > LOAD_USERS  # everyone studied
        writes = check_writes(url, outcome)
    assert writes.acknowledged > 0
    assert writes.ok and not writes.unacknowledged, writes
    assert "Traceback" not in log.read_text()


# --- a database outage ---------------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL's server binaries (pg_ctl, initdb) are not installed")
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary folder, on its own port."""

    def __init__(self, folder: Path) -> None:
        self.bin = _pg_bin()
        self.data = folder / "pgdata"
        self.port = free_port()
        self.log = folder / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = _as_postgres([str(self.bin / tool), *args])
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    # Not under pytest's tmp_path: its parent is private to this user, and postgres runs as another.
    folder = Path(tempfile.mkdtemp(prefix="dlquiz-pg-"))
    server = ThrowawayPostgres(folder)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(predicate: object, seconds: float = 30) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_database_outage_is_a_503_with_retry_after_one_warning_and_recovers(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path, content_dir: Path
) -> None:
    engine = make_engine(throwaway_postgres.url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {
        "DLQUIZ_DATABASE_URL": throwaway_postgres.url,
        "DLQUIZ_CONTENT_DIR": str(content_dir),
        **CHEAP_HASHING,
    }
    log = tmp_path / "uvicorn.log"
    with running_server(env, log_path=log) as base, loopback.client(base_url=base, timeout=30) as client:
        body = {"username": "outage", "password": PASSWORD}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
        token = client.post("/api/v1/auth/token", data=body).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/study/next").status_code == 200

        throwaway_postgres.stop()
        for _ in range(3):
            for response in (
                client.get("/healthz"),
                client.get("/api/v1/cards"),
                client.get("/api/v1/study/next"),
                client.post("/api/v1/reviews", json={"card_id": "x", "rating": 3}),
                client.post("/api/v1/auth/token", data=body),
            ):
                assert response.status_code == 503, response.text
                assert response.json()["type"] == "ServiceUnavailable"
                assert int(response.headers["retry-after"]) > 0

        throwaway_postgres.start()
        _wait_for(lambda: client.get("/healthz").status_code == 200)
        assert client.get("/api/v1/study/next").status_code == 200

    text = log.read_text()
    assert text.count("database unavailable") == 1, text[-3000:]
    assert text.count("database available again") == 1, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
