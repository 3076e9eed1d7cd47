"""Annotated dependency aliases, so route signatures stay short and typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.config import Settings, get_settings
from service.content.cache import ContentCache
from service.db.types import utcnow


def get_db(request: Request) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back when it raises."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_write_db(request: Request) -> Iterator[Session]:
    """Like :func:`get_db`, for requests that write: the transaction takes the write lock first.

    On SQLite the transaction begins IMMEDIATE, so two writers queue on the busy timeout instead of one
    failing with "database is locked" when it upgrades a read to a write; PostgreSQL needs nothing.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        session.connection(execution_options={"sqlite_immediate": True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_content_cache(request: Request) -> ContentCache:
    """The process's cache of serialized card responses; async because it only reads app state."""
    cache: ContentCache = request.app.state.content_cache
    return cache


def get_clock() -> Callable[[], datetime]:
    """The source of "now" (tz-aware UTC); tests override it to travel in time."""
    return utcnow


SessionDep = Annotated[Session, Depends(get_db)]
WriteSessionDep = Annotated[Session, Depends(get_write_db)]
ContentCacheDep = Annotated[ContentCache, Depends(get_content_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
