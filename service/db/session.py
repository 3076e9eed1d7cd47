"""Engine and session factories, with the SQLite settings that make concurrent use safe and durable.

SQLite gets WAL (readers never block the writer), ``synchronous=FULL`` (a commit is on disk before it
is acknowledged, so an acknowledged review survives a power loss, not only a crash of the process), a
busy timeout (a writer of another process waits instead of failing with "database is locked") and
foreign keys. pysqlite's own transaction handling is switched off so that SQLAlchemy emits ``BEGIN``
itself.

Transactions begin deferred, as readers. A transaction that is going to write calls
:func:`begin_write` first, which on SQLite ends the read (nothing was written yet) and begins anew
with ``BEGIN IMMEDIATE``: the write lock is held for the write alone, never while authenticating or
reading, and a writer never finds its read snapshot stale (a deferred transaction that read, then
writes after another writer committed, fails at once: SQLite cannot wait for that). Writers wait for
each other in turn: a process's writers queue in its :class:`~service.db.write_gate.WriteGate` (first
come first served, released when the transaction ends), and only the processes meet in SQLite's busy
handler, whose growing sleeps let a long-waiting writer lose its turn again and again.

Work that runs on the event loop (:class:`~service.db.database.Database` on SQLite) must never wait
for a lock: inside :func:`without_waiting` the busy timeout is 0 and the write gate is taken only when
it is free, and either refusal raises :class:`WouldBlock`, so the work is rolled back and run again on a
worker thread, where waiting is harmless.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, create_engine, event, text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from service.db.write_gate import WriteGate

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections per process. A request holds at most one at a time, on the event loop (one request at a
# time) or in a worker thread (service/db/database.py: 2 at once, plus card-cache misses on AnyIO's 40
# threads), so the pools do not run dry; PostgreSQL's server-side limit (100 by default, shared by
# workers) keeps its pool smaller, and a thread that waits longer than POOL_TIMEOUT_S for a connection
# gets a 503.
SQLITE_POOL_SIZE = 40
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 10
POOL_TIMEOUT_S = 10
# Each SQLite engine's write gate (one per process and database file); see begin_write.
_WRITE_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()
_GATE_INFO_KEY = "dlquiz_write_gate"
# The busy timeout a pooled SQLite connection has now (kept in its pool record, so it survives checkouts).
_BUSY_TIMEOUT_KEY = "dlquiz_busy_timeout_ms"


class WouldBlock(Exception):
    """Database work marked :func:`without_waiting` met a lock held by another writer (of this process
    or another one); nothing was kept, and the caller runs the work again where it may wait."""


_thread = threading.local()


@contextmanager
def without_waiting() -> Iterator[None]:
    """Database work on this thread may not wait for SQLite's write lock or this process's write gate
    while the block runs: it raises :class:`WouldBlock` instead (see the module docstring)."""
    _thread.no_waiting = True
    try:
        yield
    finally:
        _thread.no_waiting = False


def _may_wait() -> bool:
    return not getattr(_thread, "no_waiting", False)


def _configure_sqlite(engine: Engine) -> None:
    _WRITE_GATES[engine] = WriteGate(timeout_s=SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
        record.info[_BUSY_TIMEOUT_KEY] = SQLITE_BUSY_TIMEOUT_MS

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        timeout = SQLITE_BUSY_TIMEOUT_MS if _may_wait() else 0
        pooled = connection.connection
        if pooled.info.get(_BUSY_TIMEOUT_KEY) != timeout:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={timeout}")
            pooled.info[_BUSY_TIMEOUT_KEY] = timeout
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created if missing."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        pool: dict[str, Any] = {}
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT_S}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, **pool)
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed when the block succeeds and rolled back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def execute(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]:
    """Run a prebuilt Core statement (bound parameters, built once at import) in the session's
    transaction, after flushing its pending changes as ``Session.execute`` would.

    For the statements every study request runs: ``Session.execute`` of the same statement costs
    about four times as much (it sends even a Core statement through the ORM's compile and result
    machinery), and building a ``select`` per call costs as much again. Rows come back as tuples.
    """
    session.flush()
    return session.connection().execute(statement, params)


def begin_write(session: Session) -> None:
    """Let the session's transaction write from here on, taking the write lock now and not before.

    SQLite: a read-only transaction in progress is ended (it wrote nothing; the objects it loaded stay
    usable) and the next one begins IMMEDIATE. Call it before the first write and after any slow work
    that needs no lock (hashing a password). PostgreSQL: nothing to do; the statements that need a row
    lock take it (:func:`service.study.repository.lock_user`). Calling it again is harmless.

    On SQLite the process's write gate is taken first, in turn, and held until the transaction ends;
    inside :func:`without_waiting`, only if it is free (else :class:`WouldBlock`).
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get("sqlite_immediate", False):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() after unflushed changes: call it before the first write")
        session.commit()
    # Only a session on the engine begins its own transaction (BEGIN IMMEDIATE) on a connection of its
    # own; one bound to a connection shares that connection's transaction and lock (tests nest savepoints).
    gate = _WRITE_GATES.get(bind) if isinstance(bind, Engine) else None
    if gate is not None:
        if _may_wait():
            gate.acquire()
        elif not gate.try_acquire():
            raise WouldBlock("this process's write gate is taken")
        session.info[_GATE_INFO_KEY] = gate
    try:
        session.connection(execution_options={"sqlite_immediate": True})
    except BaseException:
        _release_gate(session)
        raise


def _release_gate(session: Session) -> None:
    gate = session.info.pop(_GATE_INFO_KEY, None)
    if gate is not None:
        gate.release()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The write gate is held from :func:`begin_write` until the session's transaction has committed or
    rolled back (after ``COMMIT`` returned, so the next writer finds SQLite's lock free)."""
    if transaction.parent is None:
        _release_gate(session)


# Any constant works: it only has to be the same number in every process that syncs content.
CONTENT_SYNC_LOCK_ID = 0x646C717A


@contextmanager
def sync_lock_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that holds the database-wide content-sync lock until it commits.

    SQLite: the transaction begins IMMEDIATE (the write lock). PostgreSQL: a transaction-scoped
    advisory lock. Either way two processes syncing at once run one after the other.
    """
    with transaction(factory) as session:
        connection = session.connection(execution_options={"sqlite_immediate": True})
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CONTENT_SYNC_LOCK_ID})
        yield session
