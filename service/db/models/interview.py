"""Mock interviews and misconception remediation drills.

A mock interview is a fixed list of questions drawn when it starts (``mock_interview_items``): each is
a conceptual card, self-assessed against its key points, or a numeric card with a fresh question
instance graded by the verifier. The server keeps the start, the deadline and the end, so the timer
running in the page cannot extend the interview.

A remediation is one (user, generator, misconception) episode: opened when the verifier names the
misconception, it carries the drill question due next; answered right, it is cleared; named again it
moves to the next day, for at most :data:`service.interview.remediation.MAX_ROUNDS` rounds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base
from service.db.types import UTCDateTime, utcnow


class MockInterview(Base):
    """One timed mock interview; ``finished_at`` is set by finishing it or, lazily, by its deadline."""

    __tablename__ = "mock_interviews"
    __table_args__ = (Index("ix_mock_interviews_user_id_started_at", "user_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seed: Mapped[int] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(Integer)
    seconds_per_question: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MockInterviewItem(Base):
    """One question of a mock interview and, once answered, its result.

    ``kind`` is ``conceptual`` or ``numeric``; ``key_points`` is the checklist shown at the reveal
    (a copy, so a later content edit does not change a finished report); ``covered`` the indexes the
    candidate ticked; ``skipped`` that time ran out before an answer; ``review_id`` the review a miss fed back into the queue.
    """

    __tablename__ = "mock_interview_items"

    interview_id: Mapped[str] = mapped_column(
        ForeignKey("mock_interviews.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_key: Mapped[int] = mapped_column(ForeignKey("cards.key"))
    kind: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str | None] = mapped_column(ForeignKey("question_instances.id"), nullable=True)
    key_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    covered: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    misconception: Mapped[str | None] = mapped_column(String(128), nullable=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review_logs.id"), nullable=True)


class Remediation(Base):
    """A misconception being chased for one user: ``status`` is ``open``, ``cleared`` or ``exhausted``
    (still named after the last round); ``question_id`` is the drill due at ``due``."""

    __tablename__ = "remediations"
    __table_args__ = (
        Index("ix_remediations_user_id_status_due", "user_id", "status", "due"),
        Index("ix_remediations_question_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    generator_id: Mapped[str] = mapped_column(String(128))
    misconception: Mapped[str] = mapped_column(String(128))
    card_key: Mapped[int | None] = mapped_column(ForeignKey("cards.key"), nullable=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("question_instances.id"))
    round: Mapped[int] = mapped_column(Integer)
    times_named: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
