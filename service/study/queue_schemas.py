"""Response shapes of the study queue (``GET /study/next``), which embed a card and a question."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.content.schemas import CardRead
from service.quiz.schemas import QuestionRead
from service.study.schemas import CountsRead

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
