"""Problem reports on numeric questions: what a candidate says is wrong, with what reproduces it.

A report copies the generator, seed and inputs of its question and the candidate's last submission, so
the author can regenerate and regrade exactly what was seen, even after the generator has changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base
from service.db.types import UTCDateTime, utcnow


class QuestionReport(Base):
    """One report; ``submission`` and ``attempt_number`` are NULL when the question was never answered."""

    __tablename__ = "question_reports"
    # The author lists reports newest first, all of them or one generator's.
    __table_args__ = (
        Index("ix_question_reports_created_at", "created_at"),
        Index("ix_question_reports_generator_id_created_at", "generator_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("question_instances.id", ondelete="CASCADE"))
    generator_id: Mapped[str] = mapped_column(String(128))
    seed: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempt_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
