"""The verifier's catalog and fresh numeric questions from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from service.api.deps import ClockDep, CurrentWriterDep, WriteSessionDep
from service.api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service.api.json_body import JsonBodyRoute
from service.quiz import service
from service.quiz.schemas import GeneratorsPage, QuestionCreate, QuestionRead

router = APIRouter(prefix="/generators", tags=["questions"], route_class=JsonBodyRoute)


@router.get("", response_model=GeneratorsPage)
def list_generators() -> GeneratorsPage:
    """Every numeric question generator with its topic, title and answer fields."""
    return service.list_generators()


@router.post(
    "/{generator_id}/questions",
    status_code=201,
    response_model=QuestionRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES},
)
def create_question(
    session: WriteSessionDep,
    principal: CurrentWriterDep,
    clock: ClockDep,
    generator_id: Annotated[str, Path(max_length=128)],
    body: Annotated[QuestionCreate | None, Body()] = None,
) -> QuestionRead:
    """A fresh question instance for the caller (the same seed gives the same question)."""
    seed = body.seed if body is not None else None
    return service.create_question(session, generator_id, user_id=principal.user_id, seed=seed, now=clock())
