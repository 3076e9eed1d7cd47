"""Liveness with a database round trip."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.api.checked_route import CheckedRoute
from service.api.deps import DatabaseDep
from service.api.errors import UNAVAILABLE_RESPONSES

router = APIRouter(tags=["health"], route_class=CheckedRoute)


class HealthRead(BaseModel):
    status: str
    database: str


@router.get(
    "/healthz",
    response_model=HealthRead,
    responses=UNAVAILABLE_RESPONSES,
)
async def healthz(database: DatabaseDep) -> HealthRead:
    """Answers when the service is up and the database answers a query (else 503 with Retry-After)."""
    await database.run(_ping)
    return HealthRead(status="ok", database="ok")


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
