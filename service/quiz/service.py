"""Use cases for numeric questions: list generators, create an instance, grade an answer.

The service reaches the verifier only through its public registry (``verifier.get``/``generators``).
A malformed answer is refused as :class:`InvalidSubmission` before anything is stored, so it never
counts as an attempt. Instances belong to the user they were made for; anyone else gets a 404. Hints
are revealed one at a time and counted on the instance; a study review answered after a hint is rated
at most Hard (:func:`reviews.rating_for_grade`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.content.render import render_markdown
from service.db.models import Attempt, QuestionInstance
from service.db.session import begin_write
from service.errors import Conflict, InvalidSubmission, NotFound
from service.quiz import repository
from service.quiz.schemas import (
    AnswerFieldRead,
    AttemptRead,
    FieldResultRead,
    GeneratorRead,
    GeneratorsPage,
    GradeRead,
    HintRead,
    HintsRead,
    Prompt,
    QuestionRead,
    StepRead,
)
from service.study import idempotency, reviews
from service.study import repository as study_repository
from service.study import settings as study_settings
from service.study.schemas import ReviewRead

log = logging.getLogger(__name__)

MAX_SEED = 2**31 - 1

# Called once per graded attempt, inside the answer's transaction and idempotency scope.
AfterGrade = Callable[[QuestionInstance, verifier.Grade], None]


def generator_read(generator: verifier.Generator) -> GeneratorRead:
    return GeneratorRead(
        id=generator.id,
        topic=generator.topic,
        title=generator.title,
        answer_fields=[
            AnswerFieldRead(name=name, shape=list(spec.shape), dtype=spec.dtype)
            for name, spec in generator.answer_fields.items()
        ],
        misconceptions=[m.id for m in generator.misconceptions],
    )


@cache
def list_generators() -> GeneratorsPage:
    """The verifier's catalog; it cannot change while the process runs."""
    return GeneratorsPage(items=[generator_read(g) for g in verifier.generators()])


def _generator(generator_id: str) -> verifier.Generator:
    try:
        return verifier.get(generator_id)
    except verifier.UnknownGeneratorError:
        raise NotFound(f"no generator with id '{generator_id}'") from None


def render(text: str) -> str:
    """Markdown with LaTeX to safe HTML with MathML; generator text is ours, so problems are bugs."""
    result = render_markdown(text)
    for problem in result.problems:
        log.warning("generator text renders with a problem: %s", problem.message)
    return result.html


def revealed_hints(generator: verifier.Generator, instance: QuestionInstance) -> tuple[list[HintRead], int]:
    """The hints revealed so far (rendered) and how many the question has in all."""
    texts = generator.hints(instance.inputs)
    shown = texts[: instance.hints_used]
    hints = [HintRead(number=n, markdown=text, html=render(text)) for n, text in enumerate(shown, start=1)]
    return hints, len(texts)


def question_read(instance: QuestionInstance, *, attempts: int) -> QuestionRead:
    generator = _generator(instance.generator_id)
    hints, total = revealed_hints(generator, instance)
    return QuestionRead(
        id=instance.id,
        generator=generator_read(generator),
        seed=instance.seed,
        inputs=instance.inputs,
        prompt=Prompt(markdown=instance.prompt_md, html=instance.prompt_html),
        calculator=instance.calculator,
        created_at=instance.created_at,
        attempts=attempts,
        precision_note=generator.precision_note(instance.inputs),
        hints=hints,
        hints_total=total,
    )


def new_instance(
    session: Session,
    generator_id: str,
    *,
    seed: int | None,
    now: datetime,
    user_id: int,
    calculator: bool,
    card_key: int | None = None,
) -> QuestionInstance:
    """Generate and store a question owned by ``user_id``; a missing seed is drawn from the OS.

    ``calculator=False`` makes it in whiteboard mode; the instance records the mode. Begins writing
    (:func:`begin_write`) once the question is generated, not before.
    """
    generator = _generator(generator_id)
    question = generator.generate(
        secrets.randbelow(MAX_SEED) if seed is None else seed, calculator=calculator
    )
    prompt_html = render(question.prompt)
    begin_write(session)
    instance = QuestionInstance(
        id=secrets.token_hex(16),
        user_id=user_id,
        generator_id=generator.id,
        seed=question.seed,
        inputs=question.inputs_json(),
        prompt_md=question.prompt,
        prompt_html=prompt_html,
        card_key=card_key,
        calculator=question.calculator,
        created_at=now,
        hints_used=0,
    )
    session.add(instance)
    session.flush()
    return instance


def create_question(
    session: Session,
    generator_id: str,
    *,
    user_id: int,
    seed: int | None,
    now: datetime,
    calculator: bool | None = None,
) -> QuestionRead:
    """A fresh question from ``generator_id`` for the caller, stored so it can be answered later.

    Made in ``calculator`` mode when given, else in the mode of the caller's ``calculator`` setting.
    """
    mode = study_settings.calculator_mode(session, user_id) if calculator is None else calculator
    instance = new_instance(session, generator_id, seed=seed, now=now, user_id=user_id, calculator=mode)
    return question_read(instance, attempts=0)


def own_instance(session: Session, instance_id: str, *, user_id: int) -> QuestionInstance:
    # Someone else's question is "not found", exactly like a question that does not exist.
    instance = repository.get_instance(session, instance_id)
    if instance is None or instance.user_id != user_id:
        raise NotFound(f"no question with id '{instance_id}'")
    return instance


def get_question(session: Session, instance_id: str, *, user_id: int) -> QuestionRead:
    instance = own_instance(session, instance_id, user_id=user_id)
    return question_read(instance, attempts=repository.count_attempts(session, instance_id))


def solution_steps(generator: verifier.Generator, inputs: dict[str, Any]) -> list[StepRead]:
    return [
        StepRead(
            name=step.name, markdown=step.text, html=render(step.text), value=verifier.to_jsonable(step.value)
        )
        for step in generator.explain(inputs)
    ]


def grade_answer(
    generator: verifier.Generator, inputs: dict[str, Any], answer: dict[str, Any]
) -> verifier.Grade:
    """Grade with the verifier; a malformed answer becomes InvalidSubmission naming the field."""
    try:
        return generator.grade(inputs, answer)
    except verifier.AnswerFormatError as exc:
        raise InvalidSubmission(f"answer not accepted: {exc}") from None


def _field_read(result: verifier.FieldResult, spec: verifier.FieldSpec) -> FieldResultRead:
    entries = spec.size
    return FieldResultRead(
        correct=result.correct,
        expected=result.expected,
        got=result.got,
        error=result.error,
        status=result.status,
        credit=result.credit,
        entries=entries,
        entries_right=round(result.credit * entries),
    )


def grade_read(grade: verifier.Grade, generator: verifier.Generator) -> GradeRead:
    specs = generator.answer_fields
    return GradeRead(
        correct=grade.correct,
        score=grade.score,
        fields={name: _field_read(r, specs[name]) for name, r in grade.fields.items()},
        misconception=grade.misconception,
        feedback=grade.feedback,
        first_departure=grade.first_departure,
    )


def record_attempt(
    session: Session,
    instance: QuestionInstance,
    answer: dict[str, Any],
    *,
    now: datetime,
    graded: GradedAhead | None = None,
) -> tuple[Attempt, verifier.Grade]:
    """Grade ``answer`` (or take the grade ``graded`` ahead) and store it as the instance's next attempt."""
    if graded is not None and graded.instance_id == instance.id:
        grade = graded.result()
    else:
        grade = grade_answer(_generator(instance.generator_id), instance.inputs, answer)
    attempt = Attempt(
        instance_id=instance.id,
        number=repository.count_attempts(session, instance.id) + 1,
        submission=answer,
        correct=grade.correct,
        score=grade.score,
        misconception=grade.misconception,
        feedback=grade.feedback,
        fields={
            name: {
                "correct": r.correct,
                "expected": r.expected,
                "got": r.got,
                "error": r.error,
                "status": r.status,
                "credit": r.credit,
            }
            for name, r in grade.fields.items()
        },
        created_at=now,
    )
    session.add(attempt)
    session.flush()
    return attempt, grade


def attempt_read(
    attempt: Attempt,
    grade: verifier.Grade,
    instance: QuestionInstance,
    *,
    review: ReviewRead | None = None,
    solution: list[StepRead] | None = None,
) -> AttemptRead:
    generator = _generator(instance.generator_id)
    return AttemptRead(
        question_id=instance.id,
        number=attempt.number,
        grade=grade_read(grade, generator),
        solution=solution_steps(generator, instance.inputs) if solution is None else solution,
        created_at=attempt.created_at,
        review=review,
    )


@dataclass(frozen=True, slots=True)
class GradedAhead:
    """An answer graded and its worked solution rendered before the write lock is taken.

    Both are pure functions of the instance's generator and inputs (fixed when it is made) and of
    the answer, and rendering the solution (LaTeX to MathML with the drawn numbers) is most of a
    numeric answer's CPU, 1-15 ms: done under SQLite's database-wide write lock it held every other
    writer back. A grading error is kept and raised where grading used to run, under the lock and
    after the idempotency key is looked up, so replays and conflicts answer as before.
    """

    instance_id: str
    outcome: verifier.Grade | Exception  # the grade, or what grading raised
    solution: list[StepRead] | None

    def result(self) -> verifier.Grade:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def grade_ahead(
    session: Session, instance_id: str, answer: dict[str, Any], *, user_id: int
) -> GradedAhead | None:
    """:class:`GradedAhead` for the caller's instance; None when it is not theirs or not there (the
    locked part says so, as before)."""
    found = repository.instance_inputs(session, instance_id)
    if found is None or found[0] != user_id:
        return None
    _, generator_id, inputs = found
    try:
        generator = _generator(generator_id)
    except NotFound:
        return None
    try:
        grade = grade_answer(generator, inputs, answer)
    except Exception as error:  # raised under the lock, in order (GradedAhead)
        return GradedAhead(instance_id, error, None)
    return GradedAhead(instance_id, grade, solution_steps(generator, inputs))


def answer_question(
    session: Session,
    instance_id: str,
    answer: dict[str, Any],
    *,
    user_id: int,
    idempotency_key: str | None,
    settings: Settings,
    now: datetime,
    after_grade: AfterGrade | None = None,
) -> AttemptRead:
    """Grade an answer to the caller's question and return the grade with the worked solution.

    The first graded answer to a question the study queue generated for a numeric card is also that
    card's review, rated by :func:`reviews.rating_for_grade` (at most Hard after a hint). Runs under
    the user's study lock, so concurrent answers get distinct attempt numbers and a retry with the same
    key replays (without calling ``after_grade`` again). The grade and the worked solution are
    computed before the lock is taken (:class:`GradedAhead`).
    """
    graded = grade_ahead(session, instance_id, answer, user_id=user_id)
    study_repository.lock_user(session, user_id)

    def answer_once() -> AttemptRead:
        instance = own_instance(session, instance_id, user_id=user_id)
        attempt, grade = record_attempt(session, instance, answer, now=now, graded=graded)
        review = None
        card = study_repository.card_by_key(session, instance.card_key) if instance.card_key else None
        if card is not None and not card.archived and attempt.number == 1:
            log = reviews.record_review(
                session,
                user_id=user_id,
                card=card,
                rating=reviews.rating_for_grade(
                    correct=grade.correct, score=grade.score, hints_used=instance.hints_used
                ),
                now=now,
                grade=reviews.GradeInfo(
                    question_id=instance.id,
                    score=grade.score,
                    correct=grade.correct,
                    misconception=grade.misconception,
                    hints_used=instance.hints_used,
                ),
            )
            review = reviews.review_read(log, card_id=card.id)
        if after_grade is not None:
            after_grade(instance, grade)
        solution = graded.solution if graded is not None else None
        return attempt_read(attempt, grade, instance, review=review, solution=solution)

    return idempotency.run_once(
        session,
        user_id=user_id,
        key=idempotency_key,
        fingerprint=idempotency.request_hash(f"POST /questions/{instance_id}/answers", answer),
        status_code=200,
        model=AttemptRead,
        now=now,
        ttl=timedelta(hours=settings.idempotency_key_ttl_hours),
        action=answer_once,
    )


def reveal_hint(
    session: Session,
    instance_id: str,
    *,
    user_id: int,
    idempotency_key: str | None,
    settings: Settings,
    now: datetime,
) -> HintsRead:
    """Reveal the caller's question's next hint and count it; every hint revealed so far comes back.

    A question with no hint left (or none at all) is a Conflict. Runs under the user's study lock, like
    answers, so a hint and an answer sent together are counted in one order: the review of a numeric
    card sees every hint revealed before its answer.
    """
    study_repository.lock_user(session, user_id)

    def reveal() -> HintsRead:
        instance = own_instance(session, instance_id, user_id=user_id)
        generator = _generator(instance.generator_id)
        total = len(generator.hints(instance.inputs))
        if total == 0:
            raise Conflict("this question has no hints")
        if instance.hints_used >= total:
            raise Conflict(f"no hints left: all {total} hints of this question are shown")
        instance.hints_used += 1
        session.flush()
        hints, total = revealed_hints(generator, instance)
        return HintsRead(question_id=instance.id, hints=hints, total=total)

    return idempotency.run_once(
        session,
        user_id=user_id,
        key=idempotency_key,
        fingerprint=idempotency.request_hash(f"POST /questions/{instance_id}/hints", None),
        status_code=200,
        model=HintsRead,
        now=now,
        ttl=timedelta(hours=settings.idempotency_key_ttl_hours),
        action=reveal,
    )
