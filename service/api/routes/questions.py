"""Question instances, graded answers, hints and problem reports; each instance is visible to its owner only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.api.checked_route import CheckedRoute
from service.api.deps import (
    CallerDep,
    IdempotencyKeyHeader,
    IncludeNextQuery,
    NextDeckQuery,
)
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES, ERROR_RESPONSES, ErrorRead
from service.quiz import reports, service
from service.quiz.schemas import AnswerCreate, AttemptRead, HintsRead, QuestionRead, ReportCreate, ReportRead
from service.study import service as study_service
from service.study.queue_schemas import AttemptAndNextRead

router = APIRouter(prefix="/questions", tags=["questions"], route_class=CheckedRoute)

InstanceId = Annotated[str, Path(max_length=64, description="The question instance id.")]


@router.get("/{question_id}", response_model=QuestionRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
async def get_question(caller: CallerDep, question_id: InstanceId) -> QuestionRead:
    """One of the caller's question instances with its prompt and inputs."""
    return await caller.run(service.get_question, question_id)


@router.post(
    "/{question_id}/answers",
    # The richer shape first: a plain AttemptRead must not swallow the subclass and drop `next`.
    response_model=AttemptAndNextRead | AttemptRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES, **CONFLICT_RESPONSES},
)
async def answer_question(
    caller: CallerDep,
    question_id: InstanceId,
    body: AnswerCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    include_next: IncludeNextQuery = False,
    deck: NextDeckQuery = None,
) -> AttemptAndNextRead | AttemptRead:
    """Grade an answer; a malformed one is a 422 naming the field and is not counted as an attempt.

    When the question came from the study queue, the first graded answer also reviews its card
    (all correct: Good, partial credit: Hard, wrong: Again) and is returned as `review`. With
    `next=true` the response also carries the next card (`AttemptAndNextRead`).
    """
    return await caller.run(
        study_service.answer_question,
        question_id,
        body.answer,
        idempotency_key=idempotency_key,
        include_next=include_next,
        deck=deck,
        settings=caller.settings,
        now=caller.now,
    )


@router.post(
    "/{question_id}/hints",
    response_model=HintsRead,
    responses={
        **AUTH_RESPONSES,
        **ERROR_RESPONSES,
        409: {"model": ErrorRead, "description": "No hint left, or a reused Idempotency-Key"},
    },
)
async def reveal_hint(
    caller: CallerDep,
    question_id: InstanceId,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HintsRead:
    """Reveal the next hint and return every hint revealed so far; 409 when none is left.

    The worked solution still comes only with a graded answer. A study card whose question used a hint
    is rated at most Hard by its answer (Again stays Again).
    """
    return await caller.run(
        service.reveal_hint,
        question_id,
        idempotency_key=idempotency_key,
        settings=caller.settings,
        now=caller.now,
    )


@router.post(
    "/{question_id}/reports",
    status_code=201,
    response_model=ReportRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES},
)
async def report_question(
    caller: CallerDep,
    question_id: InstanceId,
    body: ReportCreate,
) -> ReportRead:
    """Report a problem with a question (3-1000 characters); stored with its generator, seed, inputs
    and your last submission for the author (`dlquiz reports`)."""
    return await caller.run(reports.report_question, question_id, body, now=caller.now)
