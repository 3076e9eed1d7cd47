"""Recording reviews and undoing them: the only code that writes ``card_states`` and ``review_logs``.

Every write runs under the user's study lock (:func:`repository.lock_user`), so concurrent reviews of
one user (two tabs, retries, two workers) apply one after the other and each sees the state the previous
one left. The review time is clamped to the card's last review, so the log is ordered in time even when
requests took their clock readings in a different order than they got the lock.

Invariant, checked by the tests: a card's stored state equals :func:`scheduler.replay` of the user's
non-undone log entries for it, and undo restores the state before the undone entry exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card, CardState, ReviewLog
from service.errors import InvalidSubmission, NotFound
from service.study import balance, idempotency, progress, repository, scheduler, state_repository
from service.study import settings as study_settings
from service.study.scheduler import NEW_CARD, Rating, Snapshot, StudyState
from service.study.schemas import CardStateRead, ReviewCreate, ReviewRead, StateName

STATE_NAMES: dict[StudyState, StateName] = {
    StudyState.NEW: "new",
    StudyState.LEARNING: "learning",
    StudyState.REVIEW: "review",
    StudyState.RELEARNING: "relearning",
}


@dataclass(frozen=True, slots=True)
class GradeInfo:
    """What a numeric review stores besides the rating: the verifier's grade of the answer."""

    question_id: str
    score: float
    correct: bool
    misconception: str | None
    hints_used: int = 0


def rating_for_grade(*, correct: bool, score: float, hints_used: int = 0) -> Rating:
    """The documented rule: all correct -> Good, partial credit -> Hard, nothing right -> Again; after
    a hint at most Hard (Again stays Again): the card was not recalled unaided."""
    rating = Rating.GOOD if correct else Rating.HARD if score > 0 else Rating.AGAIN
    return min(rating, Rating.HARD) if hints_used > 0 else rating


def snapshot_of(row: CardState | None) -> Snapshot:
    if row is None:
        return scheduler.NEW_CARD
    return Snapshot(
        state=StudyState(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
    )


@dataclass(frozen=True, slots=True)
class LoggedReview:
    """A review log entry as the API shows it: what :func:`review_read` reads."""

    id: int
    rating: int
    source: str
    reviewed_at: datetime
    duration_ms: int | None
    before: Snapshot
    after: Snapshot
    question_id: str | None
    hints_used: int | None
    undone: bool

    @classmethod
    def of(cls, log: ReviewLog) -> LoggedReview:
        return cls(
            id=log.id,
            rating=log.rating,
            source=log.source,
            reviewed_at=log.reviewed_at,
            duration_ms=log.duration_ms,
            before=state_repository.before_of(log),
            after=state_repository.after_of(log),
            question_id=log.question_id,
            hints_used=log.hints_used,
            undone=log.undone,
        )


def state_read(snapshot: Snapshot) -> CardStateRead:
    return CardStateRead(
        state=STATE_NAMES[snapshot.state],
        step=snapshot.step,
        stability=snapshot.stability,
        difficulty=snapshot.difficulty,
        due=snapshot.due,
        last_review=snapshot.last_review,
    )


def review_read(log: LoggedReview, *, card_id: str) -> ReviewRead:
    return ReviewRead(
        id=log.id,
        card_id=card_id,
        rating=log.rating,
        source="numeric" if log.source == "numeric" else "anki" if log.source == "anki" else "self",
        reviewed_at=log.reviewed_at,
        duration_ms=log.duration_ms,
        state_before=state_read(log.before),
        state_after=state_read(log.after),
        question_id=log.question_id,
        hints_used=log.hints_used,
        undone=log.undone,
    )


def record_review(
    session: Session,
    *,
    user_id: int,
    card: state_repository.StudyCard,
    rating: Rating,
    now: datetime,
    duration_ms: int | None = None,
    grade: GradeInfo | None = None,
) -> LoggedReview:
    """Schedule one review of ``card`` with the user's scheduler, store the state and append the log.

    The caller holds the user's study lock.
    """
    settings_row, spec = study_settings.load(session, user_id)
    progress.ensure_current(session, settings_row)
    stored = state_repository.stored_state(session, user_id, card.key)
    before, reps = (stored.snapshot, stored.reps) if stored is not None else (NEW_CARD, 0)
    reviewed_at = max(now, before.last_review) if before.last_review is not None else now
    fuzz = scheduler.FuzzKey(user_id=user_id, card_key=card.key, number=reps + 1)
    recorder = balance.live_balance(session, settings_row, now=reviewed_at)
    after = scheduler.review(spec, before, rating, now=reviewed_at, fuzz=fuzz, balance=recorder)
    state_repository.write_state(
        session, user_id=user_id, card_key=card.key, stored=stored is not None, snapshot=after, reps=reps + 1
    )
    source = "numeric" if grade is not None else "self"
    log_id = state_repository.append_log(
        session,
        {
            "user_id": user_id,
            "card_key": card.key,
            "scheduler_config_id": settings_row.scheduler_config_id,
            "number": reps + 1,
            "rating": int(rating),
            "source": source,
            "reviewed_at": reviewed_at,
            "duration_ms": duration_ms,
            **state_repository.transition_fields(before, after),
            "question_id": grade.question_id if grade is not None else None,
            "score": grade.score if grade is not None else None,
            "correct": grade.correct if grade is not None else None,
            "misconception": grade.misconception if grade is not None else None,
            "hints_used": grade.hints_used if grade is not None else None,
            "undone": False,
            "balance": recorder.record if recorder is not None else None,
        },
    )
    progress.apply_change(session, user_id=user_id, card=card, before=before, after=after)
    return LoggedReview(
        id=log_id,
        rating=int(rating),
        source=source,
        reviewed_at=reviewed_at,
        duration_ms=duration_ms,
        before=before,
        after=after,
        question_id=grade.question_id if grade is not None else None,
        hints_used=grade.hints_used if grade is not None else None,
        undone=False,
    )


def submit_review(
    session: Session,
    *,
    user_id: int,
    body: ReviewCreate,
    idempotency_key: str | None,
    settings: Settings,
    now: datetime,
) -> ReviewRead:
    """A self-rated review of a live, non-numeric card (numeric cards are reviewed by answering)."""
    repository.lock_user(session, user_id)

    def review() -> ReviewRead:
        card = state_repository.live_card_keys(session, body.card_id)
        if card is None:
            raise NotFound(f"no card with id '{body.card_id}'")
        if card.generator is not None:
            raise InvalidSubmission(f"card '{card.id}' is numeric: answer its question instead")
        log = record_review(
            session,
            user_id=user_id,
            card=card,
            rating=Rating(body.rating),
            now=now,
            duration_ms=body.duration_ms,
        )
        return review_read(log, card_id=card.id)

    return idempotency.run_once(
        session,
        user_id=user_id,
        key=idempotency_key,
        fingerprint=idempotency.request_hash("POST /reviews", body.model_dump(mode="json")),
        status_code=201,
        model=ReviewRead,
        now=now,
        ttl=timedelta(hours=settings.idempotency_key_ttl_hours),
        action=review,
    )


def undo_last_review(
    session: Session, *, user_id: int, idempotency_key: str | None, settings: Settings, now: datetime
) -> ReviewRead:
    """Undo the user's latest non-undone review: its card gets back the exact state before it.

    The log entry stays, marked ``undone``. Because it is the user's latest active review, it is also
    its card's latest, so the state before it is what a replay without it gives.
    """
    repository.lock_user(session, user_id)

    def undo() -> ReviewRead:
        log = repository.last_active_review(session, user_id)
        if log is None:
            raise NotFound("nothing to undo")
        card = repository.card_by_key(session, log.card_key)
        if card is None:
            raise NotFound("nothing to undo")
        settings_row, _spec = study_settings.load(session, user_id)
        progress.ensure_current(session, settings_row)
        stored = state_repository.stored_state(session, user_id, card.key)
        before, after = state_repository.before_of(log), state_repository.after_of(log)
        state_repository.write_state(
            session,
            user_id=user_id,
            card_key=card.key,
            stored=stored is not None,
            snapshot=before,
            reps=log.number - 1,
        )
        progress.apply_change(session, user_id=user_id, card=card, before=after, after=before)
        log.undone = True
        log.undone_at = now
        session.flush()
        return review_read(LoggedReview.of(log), card_id=card.id)

    return idempotency.run_once(
        session,
        user_id=user_id,
        key=idempotency_key,
        fingerprint=idempotency.request_hash("POST /reviews/undo", None),
        status_code=200,
        model=ReviewRead,
        now=now,
        ttl=timedelta(hours=settings.idempotency_key_ttl_hours),
        action=undo,
    )


# --- reviews done elsewhere ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedReview:
    """A review done in another app (Anki): rating, UTC time, duration, and its id there."""

    rating: Rating
    reviewed_at: datetime
    duration_ms: int | None
    anki_revlog_id: int


def merge_imported_reviews(
    session: Session,
    *,
    user_id: int,
    card: Card,
    imported: Sequence[ImportedReview],
    scheduler_config_id: int,
    specs: Mapping[int, scheduler.SchedulerSpec],
) -> None:
    """Add reviews done elsewhere to one card's log, then replay the merged log in time order.

    The imported entries are scheduled with ``scheduler_config_id`` (the user's current scheduler);
    ``specs`` must hold it and every configuration the card's log points at. Every active entry gets
    its number, its state before and its state after from the replay, so the stored state is again
    :func:`scheduler.replay` of the log in (time, id) order, the order of
    :func:`repository.card_history`. The caller holds the user's study lock, has called
    :func:`progress.ensure_current`, and passes no revlog id the user already has.
    """
    current = state_repository.stored_state(session, user_id, card.key)
    old = current.snapshot if current is not None else NEW_CARD
    stored = [
        log for log in repository.card_history(session, user_id=user_id, card_key=card.key) if not log.undone
    ]
    # (time, tie-break, config, rating, entry): at the same instant stored entries come first, as the
    # new rows get the larger ids. New rows are plain dicts, inserted in one statement at the end.
    Entry = tuple[datetime, int, int, int, ReviewLog | dict[str, object]]
    entries: list[Entry] = [
        (log.reviewed_at, index, log.scheduler_config_id, log.rating, log) for index, log in enumerate(stored)
    ]
    # A stored entry keeps the load it recorded; imported ones have none (plain fuzz).
    for index, review in enumerate(sorted(imported, key=lambda r: (r.reviewed_at, r.anki_revlog_id))):
        new_row: dict[str, object] = {
            "user_id": user_id,
            "card_key": card.key,
            "scheduler_config_id": scheduler_config_id,
            "rating": int(review.rating),
            "source": "anki",
            "reviewed_at": review.reviewed_at,
            "duration_ms": review.duration_ms,
            "anki_revlog_id": review.anki_revlog_id,
            "undone": False,
        }
        entries.append(
            (review.reviewed_at, len(stored) + index, scheduler_config_id, int(review.rating), new_row)
        )
    entries.sort(key=lambda entry: (entry[0], entry[1]))

    state = NEW_CARD
    new_rows: list[dict[str, object]] = []
    for number, (reviewed_at, _order, config_id, rating, entry) in enumerate(entries, start=1):
        after = scheduler.review(
            specs[config_id],
            state,
            Rating(rating),
            now=reviewed_at,
            fuzz=scheduler.FuzzKey(user_id=user_id, card_key=card.key, number=number),
            balance=scheduler.recorded_balance(entry.balance) if isinstance(entry, ReviewLog) else None,
        )
        fields = {"number": number, **state_repository.transition_fields(state, after)}
        if isinstance(entry, ReviewLog):
            for name, value in fields.items():
                setattr(entry, name, value)
        else:
            entry.update(fields)
            new_rows.append(entry)
        state = after
    if new_rows:
        session.execute(insert(ReviewLog), new_rows)
    state_repository.write_state(
        session,
        user_id=user_id,
        card_key=card.key,
        stored=current is not None,
        snapshot=state,
        reps=len(entries),
    )
    progress.apply_change(session, user_id=user_id, card=card, before=old, after=state)
