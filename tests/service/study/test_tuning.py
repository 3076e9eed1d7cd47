"""Per-user FSRS weights (fsrs-rs fit) and the workload simulator: on a synthetic learner, and stored
on both backends, where the log keeps replaying to the stored states after the weights change."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card, ReviewLog, SchedulerConfig
from service.errors import Conflict, InvalidSubmission
from service.study import optimizer, repository, reviews, scheduler, tuning
from service.study import settings as study_settings
from service.study.schemas import ReviewCreate
from tests.factories import CardSpec, DeckSpec
from tests.service.study import synthetic
from tests.service.study.conftest import T0, sync
from tests.service.study.test_reviews import assert_matches_replay

CARDS = 30


def _by_day(history: list[tuple[scheduler.Rating, datetime]]) -> list[tuple[int, date]]:
    return [(int(rating), at.date()) for rating, at in history]


class TestFit:
    def test_fitted_weights_lower_the_log_loss_of_a_synthetic_learner(self) -> None:
        logs = synthetic.histories(7, cards=250, start=T0, days=365)
        assert 2000 < sum(len(h) for h in logs) < 6000
        result = optimizer.fit([_by_day(h) for h in logs], current=scheduler.DEFAULT_PARAMETERS)
        assert result.after.log_loss < result.before.log_loss
        assert result.after.rmse < result.before.rmse
        # The initial stability after Good moves from fsrs's default towards the learner's.
        good = 2
        truth = synthetic.TRUE_PARAMETERS[good]
        assert abs(result.parameters[good] - truth) < abs(scheduler.DEFAULT_PARAMETERS[good] - truth)
        # What fsrs-rs fits, clamped, is a scheduler py-fsrs accepts.
        scheduler.validate(
            dataclasses.replace(
                synthetic.DEFAULT_SPEC, parameters=scheduler.clamp_parameters(result.parameters)
            )
        )

    @pytest.mark.parametrize(("cards", "more"), [(0, 8), (19, 8)])
    def test_too_short_a_log_is_a_conflict_saying_how_many_more(self, cards: int, more: int) -> None:
        day = T0.date()
        histories = [[(3, day), (3, day + timedelta(days=2))] for _ in range(cards)]
        # fsrs-rs's outlier filter drops the rarest (first rating, first interval) groups, 20 items at
        # least per first rating, before it counts: 19 alike items leave nothing; 20 are enough.
        with pytest.raises(Conflict, match=f"at least {more} more needed"):
            optimizer.fit(histories, current=scheduler.DEFAULT_PARAMETERS)
        histories += [[(3, day), (3, day + timedelta(days=2))]] * (20 - cards)
        assert optimizer.fit(histories, current=scheduler.DEFAULT_PARAMETERS).training_items == 20


class TestSimulate:
    def test_a_higher_retention_costs_more_reviews(self) -> None:
        workload = optimizer.Workload(
            parameters=scheduler.DEFAULT_PARAMETERS,
            deck_size=300,
            new_cards_per_day=20,
            maximum_interval=36500,
            learning_steps=2,
            relearning_steps=1,
        )
        result = tuning.simulate(workload, [0.8, 0.9, 0.95])
        assert [len(r.reviews_per_day) for r in result.retentions] == [90, 90, 90]
        means = [r.mean_90 for r in result.retentions]
        assert means == sorted(means) and means[0] < means[-1]
        assert tuning.simulate(workload, [0.9]).retentions[0] == result.retentions[1]  # seeded

    def test_an_empty_collection_has_no_reviews(self) -> None:
        workload = optimizer.Workload(
            parameters=scheduler.DEFAULT_PARAMETERS,
            deck_size=0,
            new_cards_per_day=20,
            maximum_interval=36500,
            learning_steps=2,
            relearning_steps=1,
        )
        assert tuning.simulate(workload, [0.9]).retentions[0].mean_90 == 0

    @pytest.mark.parametrize("text", ["", "0.9,abc", "0.5", "0.995", ",".join(["0.9"] * 9)])
    def test_bad_retentions_name_the_parameter(self, text: str) -> None:
        with pytest.raises(InvalidSubmission, match="query parameter 'retention'"):
            tuning.parse_retentions(text)

    def test_retentions_parse(self) -> None:
        assert tuning.parse_retentions("0.85, 0.9,0.95") == [0.85, 0.9, 0.95]


def _write_log(
    session: Session, settings: Settings, user: int, events: list[tuple[str, scheduler.Rating, datetime]]
) -> None:
    for card_id, rating, at in sorted(events, key=lambda event: event[2]):
        reviews.submit_review(
            session,
            user_id=user,
            body=ReviewCreate(card_id=card_id, rating=int(rating)),
            idempotency_key=None,
            settings=settings,
            now=at,
        )


class TestOptimize:
    def test_a_short_log_is_a_conflict(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _write_log(db_session, settings, user, [("a-one", scheduler.Rating.GOOD, T0)])
        history = tuning.read_history(db_session, user_id=user)
        assert history.reviews == 1
        with pytest.raises(Conflict, match="8 more needed"):
            tuning.fit(history)

    def test_fitted_weights_schedule_from_the_next_review_and_the_log_replays(
        self, db_session: Session, settings: Settings, tmp_path: Path, make_user: Callable[[], int]
    ) -> None:
        # fsrs-rs's outlier filter wants a few dozen cards before it trains on anything.
        ids = [f"syn-{i}" for i in range(CARDS)]
        sync(db_session, tmp_path / "content", [DeckSpec("synthetic", cards=[CardSpec(i) for i in ids])])
        content = {card.id: card for card in db_session.scalars(select(Card))}
        user = make_user()
        logs = synthetic.histories(3, cards=CARDS, start=T0, days=200)
        events = [(card_id, rating, at) for card_id, h in zip(ids, logs, strict=True) for rating, at in h]
        _write_log(db_session, settings, user, events)

        history = tuning.read_history(db_session, user_id=user)
        assert history.reviews == len(events)
        result = tuning.store_fit(
            db_session,
            user_id=user,
            history=history,
            result=tuning.fit(history),
            now=T0 + timedelta(days=200),
        )
        assert result.applied and result.after.log_loss < result.before.log_loss
        _row, spec = study_settings.load(db_session, user)
        assert spec.parameters == tuple(result.parameters) != scheduler.DEFAULT_PARAMETERS

        # The next reviews are scheduled with the fitted weights; every card still equals its replay.
        later = T0 + timedelta(days=201)
        _write_log(db_session, settings, user, [(c, scheduler.Rating.GOOD, later) for c in ids])
        for card_id in ids:
            assert_matches_replay(db_session, user, content[card_id])
            last = repository.card_history(db_session, user_id=user, card_key=content[card_id].key)[-1]
            config = db_session.scalar(
                select(SchedulerConfig).where(SchedulerConfig.id == last.scheduler_config_id)
            )
            assert config is not None and tuple(config.parameters) == spec.parameters
        old = db_session.scalars(
            select(ReviewLog).where(ReviewLog.user_id == user, ReviewLog.reviewed_at < later)
        )
        assert all(
            tuple(db_session.get_one(SchedulerConfig, log.scheduler_config_id).parameters)
            == scheduler.DEFAULT_PARAMETERS
            for log in old
        )
