"""A user's study settings, and the scheduler configuration rows behind the scheduling ones.

A change to a setting that affects scheduling (retention, interval cap, steps) adds a new
``scheduler_configs`` row instead of editing the current one: past reviews keep pointing at the
configuration they were scheduled with, so replaying the log still reproduces every state.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import SchedulerConfig, UserSettings
from service.errors import InvalidSubmission, NotFound
from service.study import days, progress_repository, repository, scheduler
from service.study.schemas import SettingsRead, SettingsUpdate

DEFAULT_NEW_CARDS_PER_DAY = 20
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DAY_START_HOUR = 4  # Anki's default: a late session still counts towards the day before
DEFAULT_TARGET_RETENTION_ON_THE_DAY = 0.9


def spec_of(config: SchedulerConfig | repository.ConfigRow) -> scheduler.SchedulerSpec:
    return scheduler.SchedulerSpec(
        parameters=tuple(float(p) for p in config.parameters),
        desired_retention=config.desired_retention,
        learning_steps=tuple(int(s) for s in config.learning_steps),
        relearning_steps=tuple(int(s) for s in config.relearning_steps),
        maximum_interval=config.maximum_interval,
    )


def _config_row(user_id: int, spec: scheduler.SchedulerSpec, *, now: datetime) -> SchedulerConfig:
    return SchedulerConfig(
        user_id=user_id,
        parameters=list(spec.parameters),
        desired_retention=spec.desired_retention,
        learning_steps=list(spec.learning_steps),
        relearning_steps=list(spec.relearning_steps),
        maximum_interval=spec.maximum_interval,
        created_at=now,
    )


def _default_spec(settings: Settings) -> scheduler.SchedulerSpec:
    return scheduler.default_spec(
        learning_steps=settings.learning_steps_seconds,
        relearning_steps=settings.relearning_steps_seconds,
        desired_retention=scheduler.DEFAULT_DESIRED_RETENTION,
    )


def _default_row(user_id: int, config_id: int, *, now: datetime) -> UserSettings:
    return UserSettings(
        user_id=user_id,
        scheduler_config_id=config_id,
        new_cards_per_day=DEFAULT_NEW_CARDS_PER_DAY,
        timezone=DEFAULT_TIMEZONE,
        day_start_hour=DEFAULT_DAY_START_HOUR,
        progress_version=None,
        calculator=True,
        interview_date=None,
        target_retention_on_the_day=DEFAULT_TARGET_RETENTION_ON_THE_DAY,
        daily_cap=None,
        load_balancing=False,
        easy_days=[],
        updated_at=now,
    )


def create_defaults(session: Session, user_id: int, *, settings: Settings, now: datetime) -> None:
    """A new account's settings: fsrs's default scheduler with the service's configured steps."""
    config = _config_row(user_id, _default_spec(settings), now=now)
    session.add(config)
    session.flush()
    row = _default_row(user_id, config.id, now=now)
    # No card states yet, so having no deck_progress rows is exact for the current content: the first
    # review need not rebuild them (progress.ensure_current), which under a burst of new users was a
    # good part of the work.
    row.progress_version = progress_repository.content_version(session)
    session.add(row)
    session.flush()


def default_settings(settings: Settings, *, now: datetime) -> SettingsRead:
    """What a new account starts with (no database: for the README's generated table)."""
    return settings_read(_default_row(0, 0, now=now), _default_spec(settings))


def load(session: Session, user_id: int) -> tuple[repository.SettingsRow, scheduler.SchedulerSpec]:
    """The user's settings (a read-only copy) and the scheduler in force."""
    found = repository.settings_and_config(session, user_id)
    if found is None:
        raise NotFound("no settings for this user")
    row, config = found
    return row, spec_of(config)


def _load_for_update(session: Session, user_id: int) -> tuple[UserSettings, scheduler.SchedulerSpec]:
    """:func:`load` as the ORM row, for the updates below."""
    found = repository.settings_with_config(session, user_id)
    if found is None:
        raise NotFound("no settings for this user")
    row, config = found
    return row, spec_of(config)


def settings_read(row: UserSettings | repository.SettingsRow, spec: scheduler.SchedulerSpec) -> SettingsRead:
    return SettingsRead(
        desired_retention=spec.desired_retention,
        new_cards_per_day=row.new_cards_per_day,
        maximum_interval=spec.maximum_interval,
        timezone=row.timezone,
        day_start_hour=row.day_start_hour,
        learning_steps=list(spec.learning_steps),
        relearning_steps=list(spec.relearning_steps),
        calculator=row.calculator,
        interview_date=row.interview_date,
        target_retention_on_the_day=row.target_retention_on_the_day,
        daily_cap=row.daily_cap,
        load_balancing=row.load_balancing,
        easy_days=list(row.easy_days),
    )


def calculator_mode(session: Session, user_id: int) -> bool:
    """Whether the user's numeric questions are made for a calculator (False: whiteboard mode)."""
    return load(session, user_id)[0].calculator


def get_settings(session: Session, *, user_id: int) -> SettingsRead:
    return settings_read(*load(session, user_id))


def _switch_config(
    session: Session,
    row: UserSettings,
    spec: scheduler.SchedulerSpec,
    new_spec: scheduler.SchedulerSpec,
    *,
    now: datetime,
) -> None:
    """Point the user at a new configuration row for ``new_spec`` (nothing when it is unchanged)."""
    if new_spec == spec:
        return
    scheduler.validate(new_spec)
    config = _config_row(row.user_id, new_spec, now=now)
    session.add(config)
    session.flush()
    row.scheduler_config_id = config.id


def set_parameters(
    session: Session, *, user_id: int, parameters: tuple[float, ...], now: datetime
) -> scheduler.SchedulerSpec:
    """Schedule with ``parameters`` (fsrs weights) from the next review on, under the study lock; the
    other scheduler settings stay as they are. Returns the scheduler now in force."""
    repository.lock_user(session, user_id)
    row, spec = _load_for_update(session, user_id)
    new_spec = dataclasses.replace(spec, parameters=parameters)
    _switch_config(session, row, spec, new_spec, now=now)
    row.updated_at = now
    session.flush()
    return new_spec


def update_settings(session: Session, *, user_id: int, update: SettingsUpdate, now: datetime) -> SettingsRead:
    """Apply the fields sent; scheduler changes take effect from the next review on.

    Takes the user's study lock, so a review running at the same time is scheduled entirely with the
    old or entirely with the new configuration.
    """
    if update.timezone is not None and update.timezone not in days.known_timezones():
        raise InvalidSubmission(f"body field 'timezone': unknown IANA time zone '{update.timezone}'")
    repository.lock_user(session, user_id)
    row, spec = _load_for_update(session, user_id)
    sent = update.model_fields_set
    if update.interview_date is not None:
        # "Today" is the user's study day under the time zone and day start this update leaves.
        today = days.study_date(
            now,
            tz=days.zone(update.timezone or row.timezone),
            hour=row.day_start_hour if update.day_start_hour is None else update.day_start_hour,
        )
        if update.interview_date < today:
            raise InvalidSubmission(
                f"body field 'interview_date': {update.interview_date.isoformat()} is in the past "
                f"(today is {today.isoformat()} in your time zone)"
            )
    new_spec = scheduler.SchedulerSpec(
        parameters=spec.parameters,
        desired_retention=spec.desired_retention
        if update.desired_retention is None
        else update.desired_retention,
        learning_steps=spec.learning_steps if update.learning_steps is None else tuple(update.learning_steps),
        relearning_steps=spec.relearning_steps
        if update.relearning_steps is None
        else tuple(update.relearning_steps),
        maximum_interval=spec.maximum_interval
        if update.maximum_interval is None
        else update.maximum_interval,
    )
    _switch_config(session, row, spec, new_spec, now=now)
    if update.new_cards_per_day is not None:
        row.new_cards_per_day = update.new_cards_per_day
    if update.timezone is not None:
        row.timezone = update.timezone
    if update.day_start_hour is not None:
        row.day_start_hour = update.day_start_hour
    if update.calculator is not None:
        row.calculator = update.calculator
    if "interview_date" in sent:
        row.interview_date = update.interview_date
    if update.target_retention_on_the_day is not None:
        row.target_retention_on_the_day = update.target_retention_on_the_day
    if "daily_cap" in sent:
        row.daily_cap = update.daily_cap
    if update.load_balancing is not None:
        row.load_balancing = update.load_balancing
    if update.easy_days is not None:
        row.easy_days = list(update.easy_days)
    row.updated_at = now
    session.flush()
    return settings_read(row, new_spec)
