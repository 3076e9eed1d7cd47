"""Self-rated reviews and undo."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.checked_route import CheckedRoute
from service.api.deps import (
    CallerDep,
    IdempotencyKeyHeader,
    IncludeNextQuery,
    NextDeckQuery,
)
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES, ERROR_RESPONSES
from service.study import reviews, service
from service.study.queue_schemas import ReviewAndNextRead
from service.study.schemas import ReviewCreate, ReviewRead

router = APIRouter(prefix="/reviews", tags=["study"], route_class=CheckedRoute)


@router.post(
    "",
    status_code=201,
    # The richer shape first: a plain ReviewRead must not swallow the subclass and drop `next`.
    response_model=ReviewAndNextRead | ReviewRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES, **CONFLICT_RESPONSES},
)
async def submit_review(
    caller: CallerDep,
    body: ReviewCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    include_next: IncludeNextQuery = False,
    deck: NextDeckQuery = None,
) -> ReviewAndNextRead | ReviewRead:
    """Rate a card 1-4 (Again, Hard, Good, Easy); numeric cards are reviewed by answering instead.

    With `next=true` the response also carries the next card (`ReviewAndNextRead`).
    """
    return await caller.run(
        service.submit_review,
        body=body,
        idempotency_key=idempotency_key,
        include_next=include_next,
        deck=deck,
        settings=caller.settings,
        now=caller.now,
    )


@router.post(
    "/undo", response_model=ReviewRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES, **CONFLICT_RESPONSES}
)
async def undo_review(
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ReviewRead:
    """Undo the caller's latest review: the card's state is restored, the log entry marked undone."""
    return await caller.run(
        reviews.undo_last_review,
        idempotency_key=idempotency_key,
        settings=caller.settings,
        now=caller.now,
    )
