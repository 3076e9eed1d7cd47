"""SQL for question instances and attempts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Attempt, QuestionInstance


def get_instance(session: Session, instance_id: str) -> QuestionInstance | None:
    return session.get(QuestionInstance, instance_id)


def count_attempts(session: Session, instance_id: str) -> int:
    return int(session.scalar(select(func.count(Attempt.id)).where(Attempt.instance_id == instance_id)) or 0)
