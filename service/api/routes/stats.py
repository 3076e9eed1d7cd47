"""Study statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep
from service.api.errors import AUTH_RESPONSES
from service.study import stats
from service.study.schemas import StatsRead

router = APIRouter(prefix="/stats", tags=["study"], route_class=CheckedRoute)


@router.get("", response_model=StatsRead, responses=AUTH_RESPONSES)
async def get_stats(
    caller: CallerDep,
    days: Annotated[int, Query(ge=1, le=365, description="Study days to cover, today included.")] = 30,
) -> StatsRead:
    """Reviews and true retention per day, due forecast, deck counts, streak and numeric accuracy."""
    return await caller.run_in_thread(stats.get_stats, days_back=days, now=caller.now)
