"""The SQLite write gate: writers of one process take the write lock in arrival order, and the gate is
given back when the transaction ends however it ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, exc, text
from sqlalchemy.orm import Session

from service.db import session as db_session
from service.db.session import begin_write, make_sessionmaker, transaction
from service.db.write_gate import WriteGate

WAITERS = 6


def _wait_until(condition: Callable[[], bool]) -> None:
    """Poll ``condition()`` (a thread reaching its wait); fails after 10 s instead of hanging."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the threads"
        time.sleep(0.001)


def test_waiters_get_the_gate_in_arrival_order() -> None:
    gate = WriteGate(timeout_s=30)
    gate.acquire()
    order: list[int] = []

    def writer(number: int) -> None:
        gate.acquire()
        order.append(number)
        gate.release()

    threads = []
    for number in range(WAITERS):
        thread = threading.Thread(target=writer, args=(number,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda: gate.queued == len(threads))
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(WAITERS))
    gate.acquire()  # open again once everyone is done
    gate.release()


def test_a_wait_past_the_timeout_is_database_locked_and_leaves_the_queue() -> None:
    gate = WriteGate(timeout_s=0.01)
    gate.acquire()
    with pytest.raises(exc.OperationalError, match="database is locked"):
        gate.acquire()
    assert gate.queued == 0
    gate.release()
    gate.acquire()
    gate.release()


def test_the_gate_is_held_from_begin_write_until_the_transaction_ends(sqlite_engine: Engine) -> None:
    gate = db_session._WRITE_GATES[sqlite_engine]
    factory = make_sessionmaker(sqlite_engine)

    with transaction(factory) as session:
        session.execute(text("SELECT count(*) FROM notes"))
        assert not gate.queued
        begin_write(session)
        begin_write(session)  # again: harmless, not a second turn
        session.execute(text("INSERT INTO notes (body) VALUES ('x')"))
    gate.acquire()  # committed: free
    gate.release()

    with pytest.raises(ValueError), transaction(factory) as session:
        begin_write(session)
        raise ValueError
    gate.acquire()  # rolled back: free
    gate.release()

    session = factory()
    begin_write(session)
    session.close()
    gate.acquire()  # closed without commit: free
    gate.release()


def test_a_second_writer_waits_for_the_first_to_commit(sqlite_engine: Engine) -> None:
    gate = db_session._WRITE_GATES[sqlite_engine]
    factory = make_sessionmaker(sqlite_engine)
    seen: list[int] = []

    def second() -> None:
        with transaction(factory) as session:
            begin_write(session)
            seen.append(session.execute(text("SELECT count(*) FROM notes")).scalar_one())

    with transaction(factory) as session:
        begin_write(session)
        session.execute(text("INSERT INTO notes (body) VALUES ('x')"))
        thread = threading.Thread(target=second)
        thread.start()
        _wait_until(lambda: gate.queued == 1)
        assert seen == []
    thread.join(timeout=10)
    assert seen == [1]


def test_a_session_bound_to_a_connection_shares_its_transaction_and_takes_no_turn(
    sqlite_engine: Engine,
) -> None:
    """Such a session writes inside its connection's transaction (no BEGIN IMMEDIATE of its own), so
    other sessions on that connection, in other threads, must not wait for it (the tests' savepoints)."""
    gate = db_session._WRITE_GATES[sqlite_engine]
    with sqlite_engine.connect() as connection, connection.begin():
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        begin_write(session)
        session.execute(text("INSERT INTO notes (body) VALUES ('x')"))
        gate.acquire()  # free: the session holds no turn
        gate.release()
        session.close()
