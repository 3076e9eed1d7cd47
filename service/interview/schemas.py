"""Request and response shapes of mock interviews and remediation drills."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from service.content.schemas import CardRead
from service.json_types import INTEGRAL
from service.quiz.schemas import GradeRead, QuestionRead, StepRead

MockKind = Literal["conceptual", "numeric"]
RemediationStatus = Literal["open", "cleared", "exhausted"]

DEFAULT_LENGTH = 10
DEFAULT_SECONDS_PER_QUESTION = 120


class MockInterviewCreate(BaseModel):
    """Start a mock interview: how many questions, how long each, and optionally the draw's seed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    length: Annotated[int, Field(ge=1, le=30), INTEGRAL] = DEFAULT_LENGTH
    seconds_per_question: Annotated[int, Field(ge=15, le=900), INTEGRAL] = DEFAULT_SECONDS_PER_QUESTION
    seed: Annotated[int, Field(ge=0, le=2**31 - 1), INTEGRAL] | None = None


class MockAnswerCreate(BaseModel):
    """Answer the next question: ``covered`` (indexes of the key points ticked) for a conceptual one,
    ``answer`` (the answer fields) for a numeric one, or ``skipped`` when time ran out."""

    model_config = ConfigDict(extra="forbid", strict=True)

    position: Annotated[int, Field(ge=0, le=1000), INTEGRAL]
    covered: list[Annotated[int, Field(ge=0, le=1000), INTEGRAL]] | None = None
    answer: dict[str, JsonValue] | None = None
    skipped: bool = False


class MockResultRead(BaseModel):
    """How one question went; ``review_rating`` is the review a miss fed back into the queue."""

    answered_at: datetime
    seconds: float = Field(description="Time taken, from the previous answer (or the start) to this one.")
    score: float = Field(ge=0, le=1)
    correct: bool
    skipped: bool
    covered: list[int] | None
    grade: GradeRead | None
    solution: list[StepRead] | None
    misconception: str | None
    review_rating: int | None


class MockQuestionRead(BaseModel):
    """One question of a mock interview. A conceptual question carries its card (the page hides the
    answer until the reveal) and its key points; a numeric one carries a fresh question instance."""

    position: int
    kind: MockKind
    topic: str = Field(description="The card's deck id.")
    card: CardRead
    key_points: list[str]
    question: QuestionRead | None
    result: MockResultRead | None


class TopicScoreRead(BaseModel):
    topic: str
    questions: int
    answered: int
    score: float = Field(ge=0, le=1, description="Mean score over the topic's questions; unanswered count 0.")


class NamedMisconceptionRead(BaseModel):
    position: int
    generator: str
    id: str
    feedback: str


class FedBackReviewRead(BaseModel):
    position: int
    card_id: str
    rating: int


class MockReportRead(BaseModel):
    """The end report: overall and per-topic scores, time per question, misconceptions, reviews fed back."""

    score: float = Field(ge=0, le=1)
    answered: int
    topics: list[TopicScoreRead]
    seconds_per_question: list[float | None]
    misconceptions: list[NamedMisconceptionRead]
    reviews: list[FedBackReviewRead]


class MockInterviewRead(BaseModel):
    id: str
    seed: int
    length: int
    seconds_per_question: int
    started_at: datetime
    deadline: datetime = Field(
        description="Answers after this are refused (409); the interview is then finished."
    )
    finished_at: datetime | None
    status: Literal["running", "finished"]
    questions: list[MockQuestionRead]
    report: MockReportRead | None = Field(description="Set once the interview is finished.")


class MisconceptionRead(BaseModel):
    id: str
    feedback: str


class RemediationRead(BaseModel):
    """A misconception being chased: its drill question, due at ``due``, with the card's Detail."""

    id: int
    generator: str
    misconception: MisconceptionRead
    round: int = Field(
        description="1 for the first drill; a drill named again repeats the next day, up to 3."
    )
    times_named: int
    status: RemediationStatus
    due: datetime
    is_due: bool
    card: CardRead | None
    question: QuestionRead


class RemediationsPage(BaseModel):
    """The caller's open remediations, due ones first (by due time)."""

    items: list[RemediationRead]
