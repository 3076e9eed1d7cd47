"""A real uvicorn server per backend, serving the real ``content/`` from a freshly migrated database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from service.db import migrate
from service.db.session import make_engine
from tests.server import running_server


def start_api(
    database_url: str, content_dir: Path, log_path: Path, *, workers: int = 1
) -> AbstractContextManager[str]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {"DLQUIZ_DATABASE_URL": database_url, "DLQUIZ_CONTENT_DIR": str(content_dir)}
    return running_server(env, workers=workers, log_path=log_path)


@pytest.fixture(scope="session")
def api_url(
    backend: str,
    fresh_database: Callable[[str], str],
    content_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Base URL of a server on ``backend`` with the real content loaded."""
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    with start_api(fresh_database(backend), content_dir, log) as base:
        yield base


@pytest.fixture
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        yield http
