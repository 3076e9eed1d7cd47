"""Numeric question instances (a generator, a seed, the inputs shown) and the graded attempts on them.

An instance stores its inputs as JSON exactly as they were shown, so grading later needs only the
stored row and the verifier; the seed is kept too, so any instance can be regenerated and audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base
from service.db.types import UTCDateTime, utcnow


class QuestionInstance(Base):
    """One generated question as it was shown; ``id`` is a random hex string, not guessable.

    Every instance belongs to the user it was generated for; ``card_key`` is set when the study queue
    generated it for a numeric card, and then its first graded answer is also that card's review.
    """

    __tablename__ = "question_instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    generator_id: Mapped[str] = mapped_column(String(128))
    seed: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    prompt_md: Mapped[str] = mapped_column(Text)
    prompt_html: Mapped[str] = mapped_column(Text)
    card_key: Mapped[int | None] = mapped_column(ForeignKey("cards.key"), nullable=True)
    # The mode that made the question: False is whiteboard mode (hand-workable numbers, "you may use").
    calculator: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many of the generator's hints have been revealed, in order; a review of a question answered
    # after a hint is rated at most Hard.
    hints_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Attempt(Base):
    """One graded answer to an instance; malformed answers are refused before they get here."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_instance_id_number", "instance_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("question_instances.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    submission: Mapped[dict[str, Any]] = mapped_column(JSON)
    correct: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    misconception: Mapped[str | None] = mapped_column(String(128), nullable=True)
    feedback: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
