"""Response shapes of the study queue (``GET /study/next``), which embed a card and a question, and of
the writes that can return the next card with them (``?next=true``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.content.schemas import CardRead
from service.quiz.schemas import AttemptRead, QuestionRead
from service.study.schemas import CountsRead, ReviewRead

QueueKind = Literal["review", "learning", "new"]


class IntervalRead(BaseModel):
    """What one rating would schedule: the due time, seconds from now, and a short label."""

    due: datetime
    seconds: int
    label: str = Field(examples=["10m", "1d", "3.5mo"])


class IntervalsRead(BaseModel):
    again: IntervalRead
    hard: IntervalRead
    good: IntervalRead
    easy: IntervalRead


class StudyNext(BaseModel):
    """The next card to study, or none with ``next_due`` saying when one will be."""

    card: CardRead | None
    kind: QueueKind | None
    question: QuestionRead | None = Field(
        description="For numeric cards: a fresh question to answer instead of revealing the back."
    )
    intervals: IntervalsRead | None
    counts: CountsRead
    next_due: datetime | None


NEXT_DESCRIPTION = (
    "The next card to study once this is recorded: what `GET /study/next` with the same `deck` "
    "would return right after."
)


class ReviewAndNextRead(ReviewRead):
    """``POST /reviews?next=true``: the review, and the next card in the same response."""

    next: StudyNext = Field(description=NEXT_DESCRIPTION)


class AttemptAndNextRead(AttemptRead):
    """``POST /questions/{id}/answers?next=true``: the graded attempt, and the next card."""

    next: StudyNext = Field(description=NEXT_DESCRIPTION)
