"""Shared fixtures: one database per backend (SQLite file and local PostgreSQL), migrated once.

Every DB-touching test takes ``database_url`` (directly or through ``engine``), so it runs on both
backends; PostgreSQL databases are created for the run and dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.db import migrate
from service.db.session import make_engine
from tests import postgres

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """A factory of empty databases: ``fresh_database(backend) -> url``; all dropped at the end."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'dlquiz.db'}"
        postgres.require_postgres()
        url = postgres.create_database()
        created.append(url)
        return url

    yield make
    for url in created:
        postgres.drop_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def engine(backend: str, fresh_database: Callable[[str], str]) -> Iterator[Engine]:
    """A migrated database of each backend, shared by the tests that roll back their changes."""
    url = fresh_database(backend)
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test, whatever it committed."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def content_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "content"
