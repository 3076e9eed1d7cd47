"""Spaced-repetition state: one row per (user, card) studied, the append-only review log, stored
idempotency keys, and per-deck progress counters.

A card a user never reviewed has no ``card_states`` row: that is what "new" means (fsrs has no New
state). The state's columns are typed, not a JSON blob, so "what is due for this user" is a range scan
on ``(user_id, due)``. The review log is never deleted from: undo sets ``undone``, and the stored state
always equals a replay of the user's non-undone log entries for the card.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base
from service.db.types import UTCDateTime, utcnow


class CardState(Base):
    """The fsrs card of one (user, card): ``state`` holds fsrs's ``State`` value (1 learning, 2 review,
    3 relearning); ``reps`` counts the non-undone reviews, so the next review is number ``reps + 1``;
    ``interval_days`` is the scheduled interval in whole days (0 while learning), which decides maturity.
    """

    __tablename__ = "card_states"
    # (user_id, due) first: "what is due for this user" is a range scan; state and card_key ride along
    # so the queue's counts and the forecast read only the index.
    __table_args__ = (Index("ix_card_states_user_id_due", "user_id", "due", "state", "card_key"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    card_key: Mapped[int] = mapped_column(ForeignKey("cards.key"), primary_key=True)
    state: Mapped[int] = mapped_column(SmallInteger)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stability: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    last_review: Mapped[datetime] = mapped_column(UTCDateTime)
    reps: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)


class ReviewLog(Base):
    """One review with the full state before and after it (``before_*`` all NULL: the card was new).

    ``number`` is the review's ordinal among the card's non-undone reviews when it was made; together
    with the user and the card it seeds the interval fuzz, so a replay reproduces every due date.
    ``source`` is ``self`` (rated by the learner), ``numeric`` (graded answer) or ``anki`` (imported).
    """

    __tablename__ = "review_logs"
    __table_args__ = (
        # Covers the stats aggregates (per-day counts and retention, numeric reviews) and "the user's
        # last review" for undo, so those read the index and not the table.
        Index(
            "ix_review_logs_user_id_reviewed_at",
            "user_id",
            "reviewed_at",
            "id",
            "undone",
            "before_state",
            "rating",
            "source",
        ),
        Index("ix_review_logs_user_id_card_key", "user_id", "card_key"),
        # An Anki revlog row is imported once per user, however often the same file comes back.
        Index("ix_review_logs_user_id_anki_revlog_id", "user_id", "anki_revlog_id", unique=True),
        # Numeric reviews are a small share of the log; the stats find them without scanning the rest.
        Index(
            "ix_review_logs_numeric",
            "user_id",
            "reviewed_at",
            sqlite_where=text("source = 'numeric'"),
            postgresql_where=text("source = 'numeric'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_key: Mapped[int] = mapped_column(ForeignKey("cards.key"))
    scheduler_config_id: Mapped[int] = mapped_column(ForeignKey("scheduler_configs.id"))
    number: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(16))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before_state: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    before_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before_stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    before_difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    before_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    before_last_review: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    before_interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    after_state: Mapped[int] = mapped_column(SmallInteger)
    after_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    after_stability: Mapped[float] = mapped_column(Float)
    after_difficulty: Mapped[float] = mapped_column(Float)
    after_due: Mapped[datetime] = mapped_column(UTCDateTime)
    after_last_review: Mapped[datetime] = mapped_column(UTCDateTime)
    after_interval_days: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str | None] = mapped_column(ForeignKey("question_instances.id"), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    misconception: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Hints revealed before a numeric review's answer; with any, ``rating`` is already capped at Hard,
    # so a replay of ``rating`` reproduces the state, and this says why the rating is not the grade's.
    hints_used: Mapped[int | None] = mapped_column(Integer, nullable=True)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Anki's revlog id (ms since the epoch) of a review imported from Anki; NULL for dlquiz's own.
    anki_revlog_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The load this review saw over its fuzz window when load balancing chose its due date: the
    # window's first interval in days, then one score per day (see scheduler.balanced_interval).
    balance: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` with the hash of the request it came with and the response sent.

    The unique ``(user_id, key)`` makes the claim atomic across workers and replicas: the first
    transaction to insert it wins, every other one reads what the first stored.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("ix_idempotency_keys_user_id_key", "user_id", "key", unique=True),
        Index("ix_idempotency_keys_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeckProgress(Base):
    """Per (user, deck) counters kept in step with ``card_states``, so the study queue and the stats
    never count a large collection row by row.

    Counts cover live cards only: ``learning`` (learning or relearning), ``young`` (review, interval
    < 21 days) and ``mature``; new = live cards in the deck minus the three. ``new_from`` is a position
    such that every live card of the deck before it has been seen, so the next new card is an index
    seek from there.
    """

    __tablename__ = "deck_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    deck_id: Mapped[str] = mapped_column(ForeignKey("decks.id"), primary_key=True)
    learning: Mapped[int] = mapped_column(Integer)
    young: Mapped[int] = mapped_column(Integer)
    mature: Mapped[int] = mapped_column(Integer)
    new_from: Mapped[int] = mapped_column(Integer)
