"""SQL for studying: locks, settings, card states, the review log, stats.

Deck progress is in :mod:`service.study.progress_repository`, idempotency keys in
:mod:`service.study.idempotency_repository`.

Every query that runs per request for one user is a range scan of an index that starts with
``user_id``: ``card_states (user_id, due)``, ``review_logs (user_id, reviewed_at, ...)`` (covering the
stats columns) and the primary keys. Only :func:`active_log` reads a user's whole history, once per
optimization of their scheduler weights.

The statements of the study loop (``study/next``, a review, an answer) are built once, at import, with
bound parameters, read columns rather than ORM entities, and run through :func:`service.db.session.execute`:
the ORM's per-statement work cost several times the indexed lookup itself (bench/load.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    TextClause,
    bindparam,
    case,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from service.db.models import (
    Card,
    CardState,
    QuestionInstance,
    ReviewLog,
    SchedulerConfig,
    User,
    UserSettings,
)
from service.db.session import begin_write, execute
from service.db.types import UTCDateTime

# Positions are 32-bit integers; these bound every real position from below and above.
POSITION_MIN = -(2**31)
POSITION_MAX = 2**31 - 1
# Matches scheduler.StudyState and scheduler.MATURE_DAYS; SQL cannot import them without the enum.
LEARNING_STATES = (1, 3)
REVIEW_STATE = 2
MATURE_DAYS = 21
AGAIN = 1


# --- locking ---------------------------------------------------------------------------------------


def lock_user(session: Session, user_id: int) -> None:
    """Serialize this user's study writes until the transaction ends (and begin writing).

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the user's row (it does not block inserts that
    reference the row, such as a new token). SQLite: :func:`begin_write` begins IMMEDIATE, which is a
    database-wide write lock (and SQLite has no FOR UPDATE).
    """
    begin_write(session)
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


# --- settings and scheduler configurations ---------------------------------------------------------


def settings_with_config(session: Session, user_id: int) -> tuple[UserSettings, SchedulerConfig] | None:
    """The user's settings row and the scheduler configuration it points at, as ORM objects to change."""
    row = session.execute(
        select(UserSettings, SchedulerConfig)
        .join(SchedulerConfig, SchedulerConfig.id == UserSettings.scheduler_config_id)
        .where(UserSettings.user_id == user_id)
    ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True, slots=True)
class SettingsRow:
    """A read-only copy of a ``user_settings`` row, as every study request reads it."""

    user_id: int
    scheduler_config_id: int
    new_cards_per_day: int
    timezone: str
    day_start_hour: int
    progress_version: str | None
    calculator: bool
    interview_date: date | None
    target_retention_on_the_day: float
    daily_cap: int | None
    load_balancing: bool
    easy_days: list[int]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConfigRow:
    """The scheduler columns of a ``scheduler_configs`` row."""

    parameters: list[float]
    desired_retention: float
    learning_steps: list[int]
    relearning_steps: list[int]
    maximum_interval: int


_SETTINGS_COLUMNS = [getattr(UserSettings, field) for field in SettingsRow.__slots__]
_CONFIG_COLUMNS = [getattr(SchedulerConfig, field) for field in ConfigRow.__slots__]
_SETTINGS_AND_CONFIG = (
    select(*_SETTINGS_COLUMNS, *_CONFIG_COLUMNS)
    .join(SchedulerConfig, SchedulerConfig.id == UserSettings.scheduler_config_id)
    .where(UserSettings.user_id == bindparam("user_id"))
)


def settings_and_config(session: Session, user_id: int) -> tuple[SettingsRow, ConfigRow] | None:
    """:func:`settings_with_config` read as columns, for the requests that only read them (one statement)."""
    row = execute(session, _SETTINGS_AND_CONFIG, {"user_id": user_id}).first()
    if row is None:
        return None
    split = len(_SETTINGS_COLUMNS)
    return SettingsRow(*row[:split]), ConfigRow(*row[split:])


_SET_PROGRESS_VERSION = (
    update(UserSettings)
    .where(UserSettings.user_id == bindparam("p_user"))
    .values(progress_version=bindparam("p_version"))
)


def set_progress_version(session: Session, user_id: int, version: str) -> None:
    execute(session, _SET_PROGRESS_VERSION, {"p_user": user_id, "p_version": version})


def scheduler_configs(session: Session, config_ids: Collection[int]) -> Sequence[SchedulerConfig]:
    return session.scalars(select(SchedulerConfig).where(SchedulerConfig.id.in_(config_ids))).all()


# --- cards and states ------------------------------------------------------------------------------


_LIVE_CARD = select(Card).where(Card.id == bindparam("card_id"), Card.archived.is_(False))


def live_card(session: Session, card_id: str) -> Card | None:
    return session.scalar(_LIVE_CARD, {"card_id": card_id})


def card_by_key(session: Session, card_key: int) -> Card | None:
    return session.get(Card, card_key)


def _live_states(user_id: int, deck: str | None) -> Select[Card, CardState]:
    query = (
        select(Card, CardState)
        .join(Card, Card.key == CardState.card_key)
        .where(CardState.user_id == user_id, Card.archived.is_(False))
    )
    return query.where(Card.deck_id == deck) if deck is not None else query


@lru_cache(maxsize=8)
def _first_due_statement(*, in_deck: bool, states: tuple[int, ...] | None) -> Select[Card, CardState]:
    query = (
        select(Card, CardState)
        .join(Card, Card.key == CardState.card_key)
        .where(
            CardState.user_id == bindparam("user_id"),
            Card.archived.is_(False),
            CardState.due <= bindparam("until"),
        )
    )
    if in_deck:
        query = query.where(Card.deck_id == bindparam("deck"))
    if states is not None:
        query = query.where(CardState.state.in_(states))
    return query.order_by(CardState.due, CardState.card_key).limit(1)


def first_due(
    session: Session,
    *,
    user_id: int,
    until: datetime,
    deck: str | None,
    states: Collection[int] | None = None,
) -> tuple[Card, CardState] | None:
    """The live card of this user due earliest (most overdue first), if due before ``until``."""
    statement = _first_due_statement(
        in_deck=deck is not None, states=None if states is None else tuple(sorted(states))
    )
    params: dict[str, Any] = {"user_id": user_id, "until": until}
    if deck is not None:
        params["deck"] = deck
    row = session.execute(statement, params).first()
    return None if row is None else (row[0], row[1])


def _archived_keys() -> Select[int]:
    # Spelled as the partial index's predicate (a bare `archived`): SQLite uses a partial index only for
    # a WHERE it can match term by term, and SQLAlchemy would render `archived = 1`.
    return select(Card.key).where(text("cards.archived"))


_DUE = select(CardState.state, func.count()).where(
    CardState.user_id == bindparam("user_id"), CardState.due < bindparam("until")
)
_DUE_COUNTS = _DUE.where(CardState.card_key.not_in(_archived_keys())).group_by(CardState.state)
_DUE_COUNTS_IN_DECK = (
    _DUE.join(Card, Card.key == CardState.card_key)
    .where(Card.deck_id == bindparam("deck"), Card.archived.is_(False))
    .group_by(CardState.state)
)


def due_counts(session: Session, *, user_id: int, until: datetime, deck: str | None) -> dict[int, int]:
    """Live cards due before ``until``, by fsrs state value.

    Without a deck filter this reads only ``ix_card_states_user_id_due`` (it carries the state) and
    leaves out archived cards by the small set from ``ix_cards_archived_key``.
    """
    params: dict[str, Any] = {"user_id": user_id, "until": until}
    if deck is None:
        rows = execute(session, _DUE_COUNTS, params)
    else:
        rows = execute(session, _DUE_COUNTS_IN_DECK, {**params, "deck": deck})
    return {int(state): int(count) for state, count in rows}


def due_counts_by_deck(session: Session, *, user_id: int, until: datetime) -> dict[str, dict[int, int]]:
    """Live cards due before ``until``, by deck id and fsrs state value: one grouped range scan."""
    rows = session.execute(
        select(Card.deck_id, CardState.state, func.count())
        .join(Card, Card.key == CardState.card_key)
        .where(CardState.user_id == user_id, CardState.due < until, Card.archived.is_(False))
        .group_by(Card.deck_id, CardState.state)
    )
    counts: dict[str, dict[int, int]] = {}
    for deck_id, state, count in rows:
        counts.setdefault(deck_id, {})[int(state)] = int(count)
    return counts


def next_due(session: Session, *, user_id: int, after: datetime, deck: str | None) -> datetime | None:
    """When this user's next live card falls due after ``after``."""
    query = _live_states(user_id, deck).where(CardState.due > after)
    row = session.execute(query.order_by(CardState.due).limit(1)).first()
    return None if row is None else row[1].due


def _first_unseen(*columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .where(
            Card.deck_id == bindparam("deck_id"),
            Card.position >= bindparam("from_position"),
            Card.archived.is_(False),
            ~exists().where(CardState.user_id == bindparam("user_id"), CardState.card_key == Card.key),
        )
        .order_by(Card.position, Card.key)
        .limit(1)
    )


_FIRST_NEW_CARD: Select[Card] = _first_unseen(Card)
_FIRST_UNSEEN_POSITION = _first_unseen(Card.position)


def first_new_card(session: Session, *, user_id: int, deck_id: str, from_position: int) -> Card | None:
    """The first live card of ``deck_id`` at or after ``from_position`` that this user never reviewed."""
    params = {"user_id": user_id, "deck_id": deck_id, "from_position": from_position}
    return session.scalar(_FIRST_NEW_CARD, params)


def first_unseen_position(session: Session, *, user_id: int, deck_id: str, from_position: int) -> int:
    """The position of that card, or POSITION_MAX when the rest of the deck has been seen."""
    params = {"user_id": user_id, "deck_id": deck_id, "from_position": from_position}
    position = execute(session, _FIRST_UNSEEN_POSITION, params).scalar()
    return POSITION_MAX if position is None else int(position)


# --- the review log --------------------------------------------------------------------------------


def last_active_review(session: Session, user_id: int) -> ReviewLog | None:
    """The user's latest review that is not undone (read backwards along the covering index)."""
    return session.scalar(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.undone.is_(False))
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc())
        .limit(1)
    )


_INTRODUCED_SINCE = select(func.count()).where(
    ReviewLog.user_id == bindparam("user_id"),
    ReviewLog.reviewed_at >= bindparam("since"),
    ReviewLog.before_state.is_(None),
    ReviewLog.undone.is_(False),
)


def introduced_since(session: Session, *, user_id: int, since: datetime) -> int:
    """How many new cards this user reviewed for the first time since ``since`` (not undone)."""
    count = execute(session, _INTRODUCED_SINCE, {"user_id": user_id, "since": since}).scalar()
    return int(count or 0)


def card_history(session: Session, *, user_id: int, card_key: int) -> Sequence[ReviewLog]:
    """Every log entry of one (user, card), undone ones included, in the order they were applied.

    That is time order, then id: dlquiz's own reviews are logged in time order (the review time never
    goes backwards), and reviews imported from Anki are merged in by their time.
    """
    return session.scalars(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.card_key == card_key)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    ).all()


def active_log(session: Session, user_id: int) -> Sequence[tuple[int, int, datetime]]:
    """The user's non-undone reviews as (card key, rating, time), each card's in the order applied."""
    rows = session.execute(
        select(ReviewLog.card_key, ReviewLog.rating, ReviewLog.reviewed_at)
        .where(ReviewLog.user_id == user_id, ReviewLog.undone.is_(False))
        .order_by(ReviewLog.card_key, ReviewLog.id)
    ).all()
    return [(int(key), int(rating), at) for key, rating, at in rows]


# --- live decks and per-deck progress --------------------------------------------------------------


_REVIEWS_BY_DAY = f"""
SELECT buckets.bucket, count(*),
       sum(CASE WHEN r.before_state = {REVIEW_STATE} THEN 1 ELSE 0 END),
       sum(CASE WHEN r.before_state = {REVIEW_STATE} AND r.rating <> {AGAIN} THEN 1 ELSE 0 END)
FROM buckets
JOIN review_logs r ON r.user_id = :user_id AND r.reviewed_at >= buckets.lo AND r.reviewed_at < buckets.hi
     AND NOT r.undone
GROUP BY buckets.bucket"""
_ACTIVE_BUCKETS = """
SELECT buckets.bucket FROM buckets
WHERE EXISTS (SELECT 1 FROM review_logs r WHERE r.user_id = :user_id AND r.reviewed_at >= buckets.lo
              AND r.reviewed_at < buckets.hi AND NOT r.undone)"""
_DUE_BY_DAY = """
SELECT buckets.bucket, count(*)
FROM buckets
JOIN card_states s ON s.user_id = :user_id AND s.due >= buckets.lo AND s.due < buckets.hi
     AND s.card_key NOT IN (SELECT cards.key FROM cards WHERE cards.archived)
GROUP BY buckets.bucket"""


@lru_cache(maxsize=64)
def _bucket_statement(body: str, count: int) -> TextClause:
    # Bucket i is [edge i, edge i+1): consecutive buckets share an edge, so count + 1 parameters.
    rows = ", ".join(f"({i}, :e{i}, :e{i + 1})" for i in range(count))
    return text(f"WITH buckets (bucket, lo, hi) AS (VALUES {rows}){body}").bindparams(
        *(bindparam(f"e{i}", type_=UTCDateTime()) for i in range(count + 1)),
        bindparam("user_id", type_=Integer()),
    )


def _bucketed(
    session: Session, body: str, *, user_id: int, edges: Sequence[datetime]
) -> list[tuple[Any, ...]]:
    params: dict[str, Any] = {f"e{i}": edge for i, edge in enumerate(edges)}
    params["user_id"] = user_id
    statement = _bucket_statement(body, len(edges) - 1)
    return [tuple(row) for row in session.execute(statement, params)]


@dataclass(frozen=True, slots=True)
class DayReviews:
    reviews: int
    review_state: int
    review_state_passed: int


def reviews_by_day(session: Session, *, user_id: int, edges: Sequence[datetime]) -> dict[int, DayReviews]:
    """Per bucket ``[edges[i], edges[i+1])``: non-undone reviews, those of review-state cards, and those
    of them not rated Again."""
    rows = _bucketed(session, _REVIEWS_BY_DAY, user_id=user_id, edges=edges)
    return {int(b): DayReviews(int(n), int(r or 0), int(p or 0)) for b, n, r, p in rows}


def active_buckets(session: Session, *, user_id: int, edges: Sequence[datetime]) -> set[int]:
    """The buckets in which this user has at least one non-undone review (one index seek each)."""
    return {int(row[0]) for row in _bucketed(session, _ACTIVE_BUCKETS, user_id=user_id, edges=edges)}


def due_by_day(session: Session, *, user_id: int, edges: Sequence[datetime]) -> dict[int, int]:
    """Live cards of this user whose due time falls in each bucket."""
    return {int(b): int(n) for b, n in _bucketed(session, _DUE_BY_DAY, user_id=user_id, edges=edges)}


@dataclass(frozen=True, slots=True)
class NumericCounts:
    generator_id: str
    misconception: str | None
    attempts: int
    correct: int


def numeric_reviews(session: Session, *, user_id: int, since: datetime) -> list[NumericCounts]:
    """Numeric reviews since ``since`` grouped by generator and misconception."""
    rows = session.execute(
        select(
            QuestionInstance.generator_id,
            ReviewLog.misconception,
            func.count(),
            func.sum(case((ReviewLog.correct.is_(True), 1), else_=0)),
        )
        .join(QuestionInstance, QuestionInstance.id == ReviewLog.question_id)
        .where(
            ReviewLog.user_id == user_id,
            ReviewLog.reviewed_at >= since,
            ReviewLog.source == "numeric",
            ReviewLog.undone.is_(False),
        )
        .group_by(QuestionInstance.generator_id, ReviewLog.misconception)
    ).all()
    return [NumericCounts(g, m, int(n), int(c or 0)) for g, m, n, c in rows]
