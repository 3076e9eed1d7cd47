"""SQL for question instances, attempts and problem reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Attempt, QuestionInstance, QuestionReport, User


def get_instance(session: Session, instance_id: str) -> QuestionInstance | None:
    return session.get(QuestionInstance, instance_id)


def instance_inputs(session: Session, instance_id: str) -> tuple[int, str, dict[str, Any]] | None:
    """An instance's owner, generator and inputs as plain values (no ORM object in the session)."""
    row = session.execute(
        select(QuestionInstance.user_id, QuestionInstance.generator_id, QuestionInstance.inputs).where(
            QuestionInstance.id == instance_id
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def count_attempts(session: Session, instance_id: str) -> int:
    return int(session.scalar(select(func.count(Attempt.id)).where(Attempt.instance_id == instance_id)) or 0)


def last_attempt(session: Session, instance_id: str) -> Attempt | None:
    query = select(Attempt).where(Attempt.instance_id == instance_id).order_by(Attempt.number.desc())
    return session.scalars(query.limit(1)).first()


def username(session: Session, user_id: int) -> str:
    return session.scalar(select(User.username).where(User.id == user_id)) or ""


def reports_newest_first(
    session: Session, *, generator_id: str | None, limit: int
) -> list[tuple[QuestionReport, str]]:
    """Reports with their reporter's username, newest first (an index scan on ``created_at``)."""
    query = select(QuestionReport, User.username).join(User, User.id == QuestionReport.user_id)
    if generator_id is not None:
        query = query.where(QuestionReport.generator_id == generator_id)
    query = query.order_by(QuestionReport.created_at.desc(), QuestionReport.id.desc()).limit(limit)
    return [(report, name) for report, name in session.execute(query).all()]
