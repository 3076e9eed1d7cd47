"""The study queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep
from service.api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service.study import service
from service.study.queue_schemas import StudyNext
from service.study.schemas import StudyCountsRead

router = APIRouter(prefix="/study", tags=["study"], route_class=CheckedRoute)


@router.get("/next", response_model=StudyNext, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
async def get_next_card(
    caller: CallerDep,
    deck: Annotated[str | None, Query(max_length=64, description="Only cards of this deck id.")] = None,
) -> StudyNext:
    """The next card with its four intervals and today's counts; a numeric card comes with a question."""
    return await caller.run(service.next_card, deck=deck, settings=caller.settings, now=caller.now)


@router.get("/counts", response_model=StudyCountsRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
async def get_study_counts(caller: CallerDep) -> StudyCountsRead:
    """Cards left today in each deck and in all, as `study/next` counts them; reads only."""
    return await caller.run(service.study_counts, now=caller.now)
