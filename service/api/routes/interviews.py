"""Mock interviews and misconception remediation drills."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep, IdempotencyKeyHeader
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES, ERROR_RESPONSES
from service.interview import mock, remediation
from service.interview.schemas import (
    MockAnswerCreate,
    MockInterviewCreate,
    MockInterviewRead,
    MockQuestionRead,
    RemediationsPage,
)

router = APIRouter(tags=["interview"], route_class=CheckedRoute)

InterviewId = Annotated[str, Path(max_length=64, description="The mock interview id.")]


@router.post(
    "/mock-interviews",
    status_code=201,
    response_model=MockInterviewRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES},
)
async def start_mock_interview(caller: CallerDep, body: MockInterviewCreate) -> MockInterviewRead:
    """Start a timed mock interview drawn across decks, weighted toward the caller's weak cards."""
    return await caller.run(mock.start, body, now=caller.now)


@router.get(
    "/mock-interviews/{interview_id}",
    response_model=MockInterviewRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES},
)
async def get_mock_interview(caller: CallerDep, interview_id: InterviewId) -> MockInterviewRead:
    """One of the caller's mock interviews; `report` is set once it is finished or timed out."""
    return await caller.run(mock.get, interview_id, now=caller.now)


@router.post(
    "/mock-interviews/{interview_id}/answers",
    response_model=MockQuestionRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES, **CONFLICT_RESPONSES},
)
async def answer_mock_question(
    caller: CallerDep,
    interview_id: InterviewId,
    body: MockAnswerCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MockQuestionRead:
    """Answer the next question (in order); 409 once the interview is finished or past its deadline.

    With an `Idempotency-Key`, a retry gets the first response back.
    """
    return await caller.run(
        mock.answer,
        interview_id,
        body,
        now=caller.now,
        idempotency_key=idempotency_key,
        key_ttl=timedelta(hours=caller.settings.idempotency_key_ttl_hours),
    )


@router.post(
    "/mock-interviews/{interview_id}/finish",
    response_model=MockInterviewRead,
    responses={**AUTH_RESPONSES, **ERROR_RESPONSES},
)
async def finish_mock_interview(caller: CallerDep, interview_id: InterviewId) -> MockInterviewRead:
    """End the interview now and return it with its report; unanswered questions score 0."""
    return await caller.run(mock.finish, interview_id, now=caller.now)


@router.get("/remediations", response_model=RemediationsPage, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
async def list_remediations(caller: CallerDep) -> RemediationsPage:
    """The caller's open misconception drills, due ones first; answer each through its question."""
    return await caller.run(remediation.list_open, now=caller.now)
