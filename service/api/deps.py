"""Annotated dependency aliases, so route signatures stay short and typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.config import Settings, get_settings
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


def get_clock() -> Callable[[], datetime]:
    """The source of "now" (tz-aware UTC); tests override it to travel in time."""
    return utcnow


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
