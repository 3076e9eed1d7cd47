"""The verifier's catalog and fresh numeric questions from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep
from service.api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service.quiz import service
from service.quiz.schemas import GeneratorsPage, QuestionCreate, QuestionRead

router = APIRouter(prefix="/generators", tags=["questions"], route_class=CheckedRoute)


@router.get("", response_model=GeneratorsPage)
async def list_generators() -> GeneratorsPage:
    """Every numeric question generator with its topic, title and answer fields."""
    return service.list_generators()


@router.post(
    "/{generator_id}/questions",
    status_code=201,
    response_model=QuestionRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES},
)
async def create_question(
    caller: CallerDep,
    generator_id: Annotated[str, Path(max_length=128)],
    body: Annotated[QuestionCreate | None, Body()] = None,
) -> QuestionRead:
    """A fresh question instance for the caller (the same seed and mode give the same question).

    Made in the caller's `calculator` mode unless the body says which.
    """
    seed = body.seed if body is not None else None
    calculator = body.calculator if body is not None else None
    return await caller.run(
        service.create_question,
        generator_id,
        seed=seed,
        now=caller.now,
        calculator=calculator,
    )
