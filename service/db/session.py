"""Engine and session factories, with the SQLite settings that make concurrent use safe.

SQLite gets WAL (readers never block the writer), a busy timeout (a writer waits instead of failing with
"database is locked") and foreign keys. pysqlite's own transaction handling is switched off so that
SQLAlchemy emits ``BEGIN`` itself; a connection with the execution option ``sqlite_immediate=True``
begins with ``BEGIN IMMEDIATE`` and so takes the write lock up front, before it reads what it will change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created if missing."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, bind: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed when the block succeeds and rolled back when it raises.

    ``bind`` swaps the engine, e.g. for one with ``sqlite_immediate=True`` so the transaction takes the
    SQLite write lock with its first statement.
    """
    session = factory(bind=bind) if bind is not None else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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
