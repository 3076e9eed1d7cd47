"""Replicas that all start with ``dlquiz serve`` migrate the same empty PostgreSQL database at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import inspect

from service.db import migrate
from service.db.base import Base
from service.db.session import make_engine

STARTING_AT_ONCE = 4


@pytest.mark.postgres
def test_simultaneous_upgrades_of_an_empty_database_all_succeed(fresh_database: Callable[[str], str]) -> None:
    url = fresh_database("postgresql")
    barrier = threading.Barrier(STARTING_AT_ONCE)
    failures: list[BaseException] = []

    def start() -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            migrate.upgrade(engine)
        except BaseException as exc:  # collected and asserted on below
            failures.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(STARTING_AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    engine = make_engine(url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
    finally:
        engine.dispose()
