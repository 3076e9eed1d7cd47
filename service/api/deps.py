"""Annotated dependency aliases, so route signatures stay short and typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from service.auth import service as auth_service
from service.auth.schemas import Principal
from service.config import Settings
from service.content.cache import ContentCache
from service.db.database import Database
from service.db.types import utcnow

T = TypeVar("T")


async def get_database(request: Request) -> Database:
    """The app's :class:`Database`: routes hand it their service call, which it runs in one thread hop.

    Async, like every dependency here: a sync dependency would cost a trip to the thread pool, and a
    session held across two trips could deadlock (service/db/database.py says how).
    """
    database: Database = request.app.state.database
    return database


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


# Only for OpenAPI (the "Authorize" button and schemathesis): a missing header is our own 401 below.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_current_user(
    database: Annotated[Database, Depends(get_database)],
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, authenticated in a short read transaction of its own (no write lock, no connection
    kept for the handler). For the routes that need the token itself (logout); the others use
    :class:`Caller`, which saves that transaction and its thread hop."""
    return await database.run(auth_service.authenticate, token, now=clock())


def _as_user(
    session: Session, token: str | None, now: datetime, work: Callable[..., T], /, *args: Any, **kwargs: Any
) -> T:
    principal = auth_service.authenticate(session, token, now=now)
    return work(session, *args, user_id=principal.user_id, **kwargs)


@dataclass(frozen=True, slots=True)
class Caller:
    """A request's bearer token, checked in the same transaction and worker thread as the route's work,
    with the request's time (``now``, from :func:`get_clock`) and the app's settings.

    Authenticating in a dependency of its own cost every request a second transaction and a second
    trip to a database thread (about a tenth of the study loop's server time on SQLite); the token is
    still checked before the work reads or writes anything, and the Bearer header is required before
    the body is read (:mod:`service.api.checked_route`).
    """

    database: Database
    token: str | None
    now: datetime
    settings: Settings

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``work(session, *args, user_id=<the caller's id>, **kwargs)`` in one transaction (see
        :meth:`Database.run`), after the token; an invalid token is Unauthorized and runs nothing."""
        return await self.database.run(_as_user, self.token, self.now, work, *args, **kwargs)

    async def run_in_thread(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """:meth:`run` on a worker thread (:meth:`Database.run_in_thread`): for work over a user's
        whole history, which should not hold up the requests queued behind it."""
        return await self.database.run_in_thread(_as_user, self.token, self.now, work, *args, **kwargs)


async def get_caller(
    request: Request,
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Caller:
    """The caller, to be authenticated with the route's own work (:meth:`Caller.run`), with the
    request's time and the app's settings: one dependency for what every study route needs (FastAPI's
    per-dependency cost is a measurable share of a request)."""
    state = request.app.state
    return Caller(state.database, token, clock(), state.settings)


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

DatabaseDep = Annotated[Database, Depends(get_database)]
ContentCacheDep = Annotated[ContentCache, Depends(get_content_cache)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
CurrentUserDep = Annotated[Principal, Depends(get_current_user)]
CallerDep = Annotated[Caller, Depends(get_caller)]
