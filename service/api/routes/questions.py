"""Question instances and graded answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.api.deps import ClockDep, SessionDep, WriteSessionDep
from service.api.errors import ERROR_RESPONSES
from service.quiz import service
from service.quiz.schemas import AnswerCreate, AttemptRead, QuestionRead

router = APIRouter(prefix="/questions", tags=["questions"])

InstanceId = Annotated[str, Path(max_length=64, description="The question instance id.")]


@router.get("/{question_id}", response_model=QuestionRead, responses=ERROR_RESPONSES)
def get_question(session: SessionDep, question_id: InstanceId) -> QuestionRead:
    """A stored question instance with its prompt and inputs."""
    return service.get_question(session, question_id)


@router.post("/{question_id}/answers", response_model=AttemptRead, responses=ERROR_RESPONSES)
def answer_question(
    session: WriteSessionDep, clock: ClockDep, question_id: InstanceId, body: AnswerCreate
) -> AttemptRead:
    """Grade an answer; a malformed one is a 422 naming the field and is not counted as an attempt."""
    return service.answer_question(session, question_id, body.answer, now=clock())
