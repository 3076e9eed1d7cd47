"""Annotated dependency aliases, so route signatures stay short and typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from service.auth import service as auth_service
from service.auth.schemas import Principal
from service.config import Settings
from service.content.cache import ContentCache
from service.db.session import transaction
from service.db.types import utcnow


def get_db(request: Request) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back when it raises."""
    with transaction(request.app.state.sessionmaker) as session:
        yield session


def get_write_db(request: Request) -> Iterator[Session]:
    """Like :func:`get_db`, for requests that write: the transaction takes the write lock first.

    On SQLite the transaction begins IMMEDIATE, so two writers queue on the busy timeout instead of one
    failing with "database is locked" when it upgrades a read to a write; PostgreSQL needs nothing.
    The transaction begins with the session's first statement, not before, so work the handler does
    before touching the database (hashing a password) does not hold the lock.
    """
    engine = request.app.state.engine.execution_options(sqlite_immediate=True)
    with transaction(request.app.state.sessionmaker, bind=engine) as session:
        yield session


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``).

    Read from app state rather than injected with ``app.dependency_overrides``: while any override is
    set, FastAPI rebuilds every dependency's signature on every request. Async because it only reads
    app state (a sync dependency costs a trip to the thread pool).
    """
    settings: Settings = request.app.state.settings
    return settings


async def get_content_cache(request: Request) -> ContentCache:
    """The process's cache of serialized card responses; async because it only reads app state."""
    cache: ContentCache = request.app.state.content_cache
    return cache


async def get_clock() -> Callable[[], datetime]:
    """The source of "now" (tz-aware UTC); tests override it to travel in time. Async: it blocks on
    nothing, so it need not go through the thread pool."""
    return utcnow


@dataclass(frozen=True, slots=True)
class Transactions:
    """Short transactions opened on demand (each committed when its block succeeds), for handlers that
    do slow work between reads and writes and must not hold a connection throughout."""

    read: Callable[[], AbstractContextManager[Session]]
    write: Callable[[], AbstractContextManager[Session]]


async def get_transactions(request: Request) -> Transactions:
    """Openers of read and write transactions on the app's engine (writes begin IMMEDIATE on SQLite)."""
    factory = request.app.state.sessionmaker
    writer = request.app.state.engine.execution_options(sqlite_immediate=True)
    return Transactions(read=lambda: transaction(factory), write=lambda: transaction(factory, bind=writer))


# Only for OpenAPI (the "Authorize" button and schemathesis): a missing header is our own 401 below.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# scope="function": the session commits when the handler returns, *before* the response is sent, so a
# client that gets a 2xx and sends its next request at once (to any worker) reads what was written.
# (FastAPI's default for dependencies with yield ends them after the response has gone out.)
_read_session = Depends(get_db, scope="function")
_write_session = Depends(get_write_db, scope="function")


def get_current_user(
    session: Annotated[Session, _read_session],
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller of a read-only request, on the request's read session."""
    return auth_service.authenticate(session, token, now=clock())


def get_current_writer(
    session: Annotated[Session, _write_session],
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller of a writing request, on the request's write session (one connection per request)."""
    return auth_service.authenticate(session, token, now=clock())


def get_caller(
    transactions: Annotated[Transactions, Depends(get_transactions)],
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, authenticated in a transaction of its own that ends before the handler runs."""
    with transactions.read() as session:
        return auth_service.authenticate(session, token, now=clock())


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Makes a retry safe: the same key with the same body returns the first response and "
        "writes nothing; with another body it is a 409.",
    ),
]

IncludeNextQuery = Annotated[
    bool,
    Query(
        alias="next",
        description="Also return the next card to study (as `next`, what `GET /study/next` would return "
        "right after), so a client needs one round trip per card. The idempotency key covers the write "
        "alone: a retry replays it and gets the next card as it is then.",
    ),
]
NextDeckQuery = Annotated[
    str | None,
    Query(max_length=64, description="With `next=true`: the next card only from this deck id."),
]

SessionDep = Annotated[Session, _read_session]
WriteSessionDep = Annotated[Session, _write_session]
ContentCacheDep = Annotated[ContentCache, Depends(get_content_cache)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
CurrentUserDep = Annotated[Principal, Depends(get_current_user)]
CurrentWriterDep = Annotated[Principal, Depends(get_current_writer)]
TransactionsDep = Annotated[Transactions, Depends(get_transactions)]
CallerDep = Annotated[Principal, Depends(get_caller)]
