"""Question instances and graded answers; each instance is visible to its owner only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.api.deps import (
    ClockDep,
    CurrentUserDep,
    CurrentWriterDep,
    IdempotencyKeyHeader,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
)
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES, ERROR_RESPONSES
from service.quiz import service
from service.quiz.schemas import AnswerCreate, AttemptRead, QuestionRead

router = APIRouter(prefix="/questions", tags=["questions"])

InstanceId = Annotated[str, Path(max_length=64, description="The question instance id.")]


@router.get("/{question_id}", response_model=QuestionRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
def get_question(session: SessionDep, principal: CurrentUserDep, question_id: InstanceId) -> QuestionRead:
    """One of the caller's question instances with its prompt and inputs."""
    return service.get_question(session, question_id, user_id=principal.user_id)


@router.post(
    "/{question_id}/answers",
    response_model=AttemptRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES, **CONFLICT_RESPONSES},
)
def answer_question(
    session: WriteSessionDep,
    principal: CurrentWriterDep,
    settings: SettingsDep,
    clock: ClockDep,
    question_id: InstanceId,
    body: AnswerCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AttemptRead:
    """Grade an answer; a malformed one is a 422 naming the field and is not counted as an attempt.

    When the question came from the study queue, the first graded answer also reviews its card
    (all correct: Good, partial credit: Hard, wrong: Again) and is returned as `review`.
    """
    return service.answer_question(
        session,
        question_id,
        body.answer,
        user_id=principal.user_id,
        idempotency_key=idempotency_key,
        settings=settings,
        now=clock(),
    )
