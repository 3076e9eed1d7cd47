"""Question instances and graded answers; each instance is visible to its owner only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.api.deps import (
    ClockDep,
    CurrentUserDep,
    DatabaseDep,
    IdempotencyKeyHeader,
    IncludeNextQuery,
    NextDeckQuery,
    SettingsDep,
)
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES, ERROR_RESPONSES
from service.quiz import service
from service.quiz.schemas import AnswerCreate, AttemptRead, QuestionRead
from service.study import service as study_service
from service.study.queue_schemas import AttemptAndNextRead

router = APIRouter(prefix="/questions", tags=["questions"])

InstanceId = Annotated[str, Path(max_length=64, description="The question instance id.")]


@router.get("/{question_id}", response_model=QuestionRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
async def get_question(
    database: DatabaseDep, principal: CurrentUserDep, question_id: InstanceId
) -> QuestionRead:
    """One of the caller's question instances with its prompt and inputs."""
    return await database.run(service.get_question, question_id, user_id=principal.user_id)


@router.post(
    "/{question_id}/answers",
    # The richer shape first: a plain AttemptRead must not swallow the subclass and drop `next`.
    response_model=AttemptAndNextRead | AttemptRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES, **CONFLICT_RESPONSES},
)
async def answer_question(
    database: DatabaseDep,
    principal: CurrentUserDep,
    settings: SettingsDep,
    clock: ClockDep,
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
    return await database.run(
        study_service.answer_question,
        question_id,
        body.answer,
        user_id=principal.user_id,
        idempotency_key=idempotency_key,
        include_next=include_next,
        deck=deck,
        settings=settings,
        now=clock(),
    )
