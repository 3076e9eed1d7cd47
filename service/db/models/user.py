"""Accounts: users, their bearer tokens, their study settings and their scheduler configurations.

A token is stored only as the SHA-256 of the random string the client holds, so a copy of the database
lets nobody log in. Scheduler configurations are immutable rows: a settings change that affects
scheduling adds a row, and every review log points at the row it was scheduled with, so a replay of the
log reproduces each due date even after the settings changed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base
from service.db.types import UTCDateTime, utcnow


class User(Base):
    """One account; ``username`` is stored lowercase, so uniqueness is case-insensitive."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessToken(Base):
    """An opaque bearer token, by hash; valid until ``expires_at`` unless ``revoked_at`` is set."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SchedulerConfig(Base):
    """The fsrs scheduler one user's reviews were scheduled with; never updated, only superseded.

    ``parameters`` holds fsrs's 21 weights (its defaults until per-user optimization exists); steps are
    whole seconds, as fsrs's own ``Scheduler.to_dict`` writes them.
    """

    __tablename__ = "scheduler_configs"
    __table_args__ = (Index("ix_scheduler_configs_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    parameters: Mapped[list[float]] = mapped_column(JSON)
    desired_retention: Mapped[float] = mapped_column(Float)
    learning_steps: Mapped[list[int]] = mapped_column(JSON)
    relearning_steps: Mapped[list[int]] = mapped_column(JSON)
    maximum_interval: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSettings(Base):
    """A user's study settings and the scheduler configuration in force.

    ``progress_version`` is the content version the user's ``deck_progress`` rows were computed for;
    any other value means they are stale and are rebuilt before the next review changes them.

    ``interview_date`` is a date in the user's time zone (NULL: no interview planned); ``daily_cap``
    NULL means the cap is derived from the due forecast. ``easy_days`` holds weekdays (0 = Monday)
    on which load balancing places fewer reviews.
    """

    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scheduler_config_id: Mapped[int] = mapped_column(ForeignKey("scheduler_configs.id"))
    new_cards_per_day: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    day_start_hour: Mapped[int] = mapped_column(Integer)
    progress_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # False: whiteboard mode, numeric questions drawn to be worked by hand (``Generator.generate``).
    calculator: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    interview_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_retention_on_the_day: Mapped[float] = mapped_column(Float, default=0.9, server_default="0.9")
    daily_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    load_balancing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    easy_days: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
