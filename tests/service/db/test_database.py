"""Where a request's database work runs: on the event loop for SQLite (in arrival order, never waiting
for a lock there), on worker threads where waiting is normal (PostgreSQL, uvloop, work that asks)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
import uvloop
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from service.db import database
from service.db.session import begin_write, make_sessionmaker

REQUESTS = 6


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


def _write(session: Session, body: str) -> int:
    begin_write(session)
    session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})
    return threading.get_ident()


def _count(session: Session, body: str) -> int:
    return int(session.execute(text("SELECT count(*) FROM notes WHERE body = :b"), {"b": body}).scalar_one())


def test_sqlite_work_runs_on_the_event_loop_in_arrival_order(engine: Engine) -> None:
    async def main() -> tuple[int, list[tuple[int, int]]]:
        db = database.for_engine(make_sessionmaker(engine), dialect="sqlite")
        assert db.on_loop
        seen: list[tuple[int, int]] = []

        def work(session: Session, number: int) -> None:
            _write(session, f"note {number}")
            seen.append((number, threading.get_ident()))

        await asyncio.gather(*(db.run(work, number) for number in range(REQUESTS)))
        return threading.get_ident(), seen

    loop_thread, seen = asyncio.run(main())
    assert [number for number, _ in seen] == list(range(REQUESTS))
    assert {thread for _, thread in seen} == {loop_thread}


def test_a_writer_that_would_wait_for_another_process_moves_to_a_thread_while_the_loop_serves(
    engine: Engine, tmp_path: Path
) -> None:
    other_process = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # SQLite's write lock, held outside this process

    async def main() -> tuple[int, int, int]:
        db = database.for_engine(make_sessionmaker(engine), dialect="sqlite")
        writer = asyncio.create_task(db.run(_write, "waited"))
        await asyncio.sleep(0.2)
        assert not writer.done()  # waiting for the lock, on a worker thread
        served = await db.run(_count, "waited")  # the loop is free: a read is answered meanwhile
        other_process.execute("COMMIT")
        return await writer, threading.get_ident(), served

    try:
        writer_thread, loop_thread, served = asyncio.run(main())
    finally:
        other_process.close()
    assert served == 0
    assert writer_thread != loop_thread
    with engine.connect() as connection:  # the attempt on the loop was rolled back: one row, not two
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1


def test_a_writer_behind_this_process_s_gate_waits_on_a_thread_in_turn(engine: Engine) -> None:
    factory: sessionmaker[Session] = make_sessionmaker(engine)
    holding, release = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        begin_write(session)
        holding.set()
        release.wait(timeout=10)

    async def main() -> tuple[int, int]:
        db = database.for_engine(factory, dialect="sqlite")
        holder = asyncio.create_task(db.run_in_thread(hold))
        await asyncio.to_thread(holding.wait, 10)
        writer = asyncio.create_task(db.run(_write, "queued"))
        await asyncio.sleep(0.2)
        assert not writer.done()
        release.set()
        await holder
        return await writer, threading.get_ident()

    writer_thread, loop_thread = asyncio.run(main())
    assert writer_thread != loop_thread
    with factory() as session:
        assert _count(session, "queued") == 1


def test_work_that_asks_for_a_thread_runs_on_one(engine: Engine) -> None:
    async def main() -> tuple[int, int]:
        db = database.for_engine(make_sessionmaker(engine), dialect="sqlite")
        return await db.run_in_thread(_write, "long"), threading.get_ident()

    worker, loop_thread = asyncio.run(main())
    assert worker != loop_thread


@pytest.mark.parametrize("dialect,run", [("postgresql", asyncio.run), ("sqlite", uvloop.run)])
def test_threads_serve_postgresql_and_uvloop(engine: Engine, dialect: str, run: object) -> None:
    async def main() -> tuple[bool, int, int]:
        db = database.for_engine(make_sessionmaker(engine), dialect=dialect)
        return db.on_loop, await db.run(_write, dialect), threading.get_ident()

    on_loop, worker, loop_thread = run(main())  # type: ignore[operator]
    assert not on_loop and worker != loop_thread


def test_serve_picks_the_standard_loop_for_sqlite_in_one_process_only() -> None:
    assert database.uvicorn_loop("sqlite:////tmp/x.db", 1) == "asyncio"
    assert database.uvicorn_loop("sqlite:////tmp/x.db", 2) == "auto"
    assert database.uvicorn_loop("postgresql+psycopg://postgres@127.0.0.1/x", 1) == "auto"
