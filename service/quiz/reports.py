"""Problem reports on numeric questions: a candidate files one, the author lists them (``dlquiz reports``).

A report is stored with everything that reproduces what the candidate saw: the generator, the seed, the
inputs and the last submission (regrading it with the same generator gives the same verdict).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.db.models import QuestionReport
from service.db.session import begin_write
from service.quiz import repository
from service.quiz.schemas import ReportCreate, ReportRead, ReportsPage
from service.quiz.service import own_instance

MAX_LISTED = 1000


def _report_read(report: QuestionReport, *, username: str) -> ReportRead:
    return ReportRead(
        id=report.id,
        question_id=report.instance_id,
        username=username,
        generator_id=report.generator_id,
        seed=report.seed,
        inputs=report.inputs,
        attempt_number=report.attempt_number,
        submission=report.submission,
        text=report.text,
        created_at=report.created_at,
    )


def report_question(
    session: Session, instance_id: str, body: ReportCreate, *, user_id: int, now: datetime
) -> ReportRead:
    """Store the caller's report on their question, with its reproduction and their last submission."""
    instance = own_instance(session, instance_id, user_id=user_id)
    last = repository.last_attempt(session, instance.id)
    begin_write(session)
    report = QuestionReport(
        user_id=user_id,
        instance_id=instance.id,
        generator_id=instance.generator_id,
        seed=instance.seed,
        inputs=instance.inputs,
        attempt_number=last.number if last is not None else None,
        submission=last.submission if last is not None else None,
        text=body.text.strip(),
        created_at=now,
    )
    session.add(report)
    session.flush()
    return _report_read(report, username=repository.username(session, user_id))


def list_reports(session: Session, *, generator_id: str | None = None, limit: int = 100) -> ReportsPage:
    """Reports newest first (the author's inbox), all of them or one generator's."""
    rows = repository.reports_newest_first(
        session, generator_id=generator_id, limit=max(1, min(limit, MAX_LISTED))
    )
    return ReportsPage(items=[_report_read(report, username=username) for report, username in rows])
