"""Interview readiness."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep
from service.api.errors import AUTH_RESPONSES
from service.study import interview
from service.study.schemas import ReadinessRead

router = APIRouter(prefix="/readiness", tags=["study"], route_class=CheckedRoute)


@router.get("", response_model=ReadinessRead, responses=AUTH_RESPONSES)
async def get_readiness(caller: CallerDep) -> ReadinessRead:
    """Predicted recall on the interview day per deck and overall, cards at risk, reviews a day needed."""
    return await caller.run_in_thread(interview.readiness, now=caller.now)
