"""Real uvicorn servers per backend: one serving the real ``content/``, one (two workers) serving the
small study decks for the account and study API tests. Both use a freshly migrated database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from service.db import migrate
from service.db.session import make_engine
from tests import loopback
from tests.factories import write_decks
from tests.server import running_server
from tests.service.study.conftest import study_decks

# Argon2 at its production cost takes ~0.4 s per hash here; tests register many users.
CHEAP_HASHING = {"DLQUIZ_PASSWORD_HASH_TIME_COST": "1", "DLQUIZ_PASSWORD_HASH_MEMORY_KIB": "1024"}
PASSWORD = "password-1"


def start_api(
    database_url: str,
    content_dir: Path,
    log_path: Path,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
) -> AbstractContextManager[str]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    server_env = {
        "DLQUIZ_DATABASE_URL": database_url,
        "DLQUIZ_CONTENT_DIR": str(content_dir),
        **CHEAP_HASHING,
        **(env or {}),
    }
    return running_server(server_env, workers=workers, log_path=log_path)


def register(client: httpx.Client, username: str | None = None) -> dict[str, str]:
    """Register a fresh user, log in, and return the Authorization header for its token."""
    username = username or f"user-{uuid.uuid4().hex[:12]}"
    created = client.post("/api/v1/auth/register", json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    token = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass(frozen=True)
class StudyServer:
    url: str
    database_url: str


@pytest.fixture(scope="session")
def api_server(
    backend: str,
    fresh_database: Callable[[str], str],
    content_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StudyServer]:
    """A server on ``backend`` with the real content loaded, and its database."""
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    database_url = fresh_database(backend)
    with start_api(database_url, content_dir, log) as base:
        yield StudyServer(base, database_url)


@pytest.fixture(scope="session")
def api_url(api_server: StudyServer) -> str:
    """Base URL of a server on ``backend`` with the real content loaded."""
    return api_server.url


@pytest.fixture
def client(api_url: str) -> Iterator[httpx.Client]:
    with loopback.client(base_url=api_url, timeout=30) as http:
        yield http


@pytest.fixture
def user_client(api_url: str) -> Iterator[httpx.Client]:
    """A client of the real-content server, logged in as a fresh user."""
    with loopback.client(base_url=api_url, timeout=30) as http:
        http.headers.update(register(http))
        yield http


@pytest.fixture(scope="session")
def study_server(
    backend: str, fresh_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StudyServer]:
    """Two uvicorn workers on ``backend`` serving the study decks (plain cards and one numeric card)."""
    content = write_decks(tmp_path_factory.mktemp("study-content"), study_decks())
    log = tmp_path_factory.mktemp("study-server") / "uvicorn.log"
    database_url = fresh_database(backend)
    with start_api(database_url, content, log, workers=2) as base:
        yield StudyServer(base, database_url)


@pytest.fixture
def study(study_server: StudyServer) -> Iterator[httpx.Client]:
    """A client of the study server, logged in as a fresh user."""
    with loopback.client(base_url=study_server.url, timeout=60) as http:
        http.headers.update(register(http))
        yield http


@pytest.fixture
def make_study_client(study_server: StudyServer) -> Iterator[Callable[[], httpx.Client]]:
    """More logged-in clients of the study server (each a fresh user), closed after the test."""
    clients: list[httpx.Client] = []

    def make() -> httpx.Client:
        http = loopback.client(base_url=study_server.url, timeout=60)
        http.headers.update(register(http))
        clients.append(http)
        return http

    yield make
    for http in clients:
        http.close()
