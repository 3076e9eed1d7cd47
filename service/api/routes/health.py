"""Liveness with a database round trip."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.api.checked_route import CheckedRoute
from service.api.deps import SessionDep
from service.api.errors import ErrorRead
from service.errors import Unavailable

router = APIRouter(tags=["health"], route_class=CheckedRoute)


class HealthRead(BaseModel):
    status: str
    database: str


@router.get(
    "/healthz",
    response_model=HealthRead,
    responses={503: {"model": ErrorRead, "description": "The database does not answer"}},
)
def healthz(session: SessionDep) -> HealthRead:
    """Answers when the service is up and the database answers a query."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise Unavailable(f"database unreachable: {type(exc).__name__}") from None
    return HealthRead(status="ok", database="ok")
