"""Load balancing and easy days on both backends: the least loaded day of fsrs's fuzz range, and a due
date that a replay of the log reproduces because the load it saw is recorded with the review."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card, CardState, ReviewLog
from service.study import progress, repository, reviews, scheduler
from service.study import settings as study_settings
from service.study.scheduler import Rating, StudyState
from service.study.schemas import ReviewCreate, SettingsUpdate
from tests.factories import CardSpec, DeckSpec
from tests.service.study.conftest import T0, sync
from tests.service.study.test_reviews import PLAIN, assert_matches_replay

FILLERS = 30


class TestBalancedInterval:
    def test_the_lightest_day_wins_and_ties_go_to_the_fuzzed_day(self) -> None:
        low, high = scheduler.fuzz_range(20, maximum_interval=36500)
        fuzzed = scheduler.fuzz_interval(20, maximum_interval=36500, rng=random.Random(7))
        flat = [5] * (high - low + 1)
        pick = scheduler.balanced_interval(
            20, maximum_interval=36500, rng=random.Random(7), balance=lambda lo, hi: flat
        )
        assert pick == min(max(fuzzed, low), high)
        light = [5] * (high - low + 1)
        light[-1] = 1
        pick = scheduler.balanced_interval(
            20, maximum_interval=36500, rng=random.Random(7), balance=lambda lo, hi: light
        )
        assert pick == high

    def test_short_long_and_unanswered_windows_keep_the_plain_fuzz(self) -> None:
        def refuse(low: int, high: int) -> list[int]:
            raise AssertionError("not asked")

        for interval in (1, 2, scheduler.LOAD_BALANCE_MAX_DAYS + 1, 400):
            plain = scheduler.fuzz_interval(interval, maximum_interval=36500, rng=random.Random(3))
            assert plain == scheduler.balanced_interval(
                interval, maximum_interval=36500, rng=random.Random(3), balance=refuse
            )
        plain = scheduler.fuzz_interval(30, maximum_interval=36500, rng=random.Random(3))
        assert plain == scheduler.balanced_interval(
            30, maximum_interval=36500, rng=random.Random(3), balance=lambda lo, hi: None
        )

    def test_a_recorded_load_answers_only_for_its_own_window(self) -> None:
        balance = scheduler.recorded_balance([6, 3, 1, 2])
        assert balance is not None
        assert balance(6, 8) == [3, 1, 2]
        assert balance(5, 7) is None and balance(6, 9) is None
        assert scheduler.recorded_balance(None) is None


def _filler_deck(db_session: Session, tmp_path: Path) -> dict[str, Card]:
    main = DeckSpec("alpha", cards=[CardSpec("a-one")])
    fillers = DeckSpec("fill", cards=[CardSpec(f"f-{i:02d}") for i in range(FILLERS)])
    sync(db_session, tmp_path / "content", [main, fillers])
    return {card.id: card for card in db_session.scalars(select(Card))}


def _due_on(db_session: Session, user: int, cards: list[Card], day: int) -> None:
    """Review-state cards falling due ``day`` days after T0 (load for the balancer to see)."""
    for card in cards:
        db_session.add(
            CardState(
                user_id=user,
                card_key=card.key,
                state=int(StudyState.REVIEW),
                step=None,
                stability=10.0,
                difficulty=5.0,
                due=T0 + timedelta(days=day),
                last_review=T0 - timedelta(days=10),
                reps=1,
                interval_days=10,
            )
        )
    db_session.flush()


def _easy(db_session: Session, settings: Settings, user: int) -> ReviewLog:
    reviews.submit_review(
        db_session,
        user_id=user,
        body=ReviewCreate(card_id="a-one", rating=4),
        idempotency_key=None,
        settings=settings,
        now=T0,
    )
    log = db_session.scalars(select(ReviewLog).where(ReviewLog.user_id == user)).one()
    return log


class TestService:
    def test_the_review_goes_to_the_lightest_day_and_replays_after_the_load_changes(
        self, db_session: Session, settings: Settings, tmp_path: Path, make_user: Callable[[], int]
    ) -> None:
        cards = _filler_deck(db_session, tmp_path)
        fillers = [cards[f"f-{i:02d}"] for i in range(FILLERS)]
        user = make_user()
        study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(load_balancing=True), now=T0
        )
        # Two cards due on each of days 1..15, none on day 7 (an Easy first review lands within 6..10).
        days = [d for d in range(1, 16) if d != 7]
        for index, day in enumerate(days):
            _due_on(db_session, user, fillers[2 * index : 2 * index + 2], day)
        log = _easy(db_session, settings, user)
        assert log.after_due == T0 + timedelta(days=7)
        assert log.balance is not None
        low = log.balance[0]
        assert log.balance[1 + 7 - low] == 1 and min(log.balance[1:]) == 1
        # The load changes afterwards; the due date still is the replay of the log.
        db_session.query(CardState).filter(CardState.card_key.in_([f.key for f in fillers])).delete()
        db_session.flush()
        assert_matches_replay(db_session, user, cards["a-one"])

    def test_easy_days_are_avoided_when_the_load_is_even(
        self, db_session: Session, settings: Settings, tmp_path: Path, make_user: Callable[[], int]
    ) -> None:
        cards = _filler_deck(db_session, tmp_path)
        user = make_user()
        target = (T0 + timedelta(days=7)).weekday()
        easy = [day for day in range(7) if day != target]
        study_settings.update_settings(
            db_session,
            user_id=user,
            update=SettingsUpdate(load_balancing=True, easy_days=easy),
            now=T0,
        )
        log = _easy(db_session, settings, user)
        assert log.after_due.weekday() == target
        assert_matches_replay(db_session, user, cards["a-one"])

    def test_without_load_balancing_nothing_is_recorded(
        self, db_session: Session, settings: Settings, tmp_path: Path, make_user: Callable[[], int]
    ) -> None:
        cards = _filler_deck(db_session, tmp_path)
        user = make_user()
        log = _easy(db_session, settings, user)
        assert log.balance is None
        assert_matches_replay(db_session, user, cards["a-one"])


class TestReplay:
    @given(
        steps=st.lists(
            st.tuples(
                st.sampled_from(PLAIN[:3]),
                st.sampled_from([1, 2, 3, 4]),
                st.integers(min_value=0, max_value=40 * 86_400),
                st.booleans(),
            ),
            min_size=1,
            max_size=25,
        ),
        easy_days=st.lists(st.integers(min_value=0, max_value=6), max_size=3),
    )
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_balanced_histories_with_undo_equal_their_replay(
        self,
        db_session: Session,
        settings: Settings,
        content: dict[str, Card],
        make_user: Callable[[], int],
        steps: list[tuple[str, int, int, bool]],
        easy_days: list[int],
    ) -> None:
        user = make_user()
        study_settings.update_settings(
            db_session,
            user_id=user,
            update=SettingsUpdate(load_balancing=True, easy_days=easy_days),
            now=T0,
        )
        elapsed = timedelta(0)
        for card_id, rating, wait, undo in steps:
            elapsed += timedelta(seconds=wait)
            reviews.submit_review(
                db_session,
                user_id=user,
                body=ReviewCreate(card_id=card_id, rating=rating),
                idempotency_key=None,
                settings=settings,
                now=T0 + elapsed,
            )
            if undo:
                reviews.undo_last_review(
                    db_session, user_id=user, idempotency_key=None, settings=settings, now=T0 + elapsed
                )
        for card_id in PLAIN[:3]:
            assert_matches_replay(db_session, user, content[card_id])


class TestMerge:
    def test_reviews_imported_before_balanced_ones_keep_the_log_replayable(
        self, db_session: Session, settings: Settings, tmp_path: Path, make_user: Callable[[], int]
    ) -> None:
        cards = _filler_deck(db_session, tmp_path)
        fillers = [cards[f"f-{i:02d}"] for i in range(FILLERS)]
        user = make_user()
        study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(load_balancing=True), now=T0
        )
        for index, day in enumerate(range(1, 16)):
            _due_on(db_session, user, fillers[2 * index : 2 * index + (index % 2) + 1], day)
        log = _easy(db_session, settings, user)
        assert log.balance is not None
        row, _spec = study_settings.load(db_session, user)
        progress.ensure_current(db_session, row)
        specs = {
            config.id: study_settings.spec_of(config)
            for config in repository.scheduler_configs(
                db_session, {row.scheduler_config_id, log.scheduler_config_id}
            )
        }
        imported = [
            reviews.ImportedReview(Rating.GOOD, T0 - timedelta(days=40), None, 1),
            reviews.ImportedReview(Rating.GOOD, T0 - timedelta(days=20), None, 2),
        ]
        reviews.merge_imported_reviews(
            db_session,
            user_id=user,
            card=cards["a-one"],
            imported=imported,
            scheduler_config_id=row.scheduler_config_id,
            specs=specs,
        )
        db_session.flush()
        assert_matches_replay(db_session, user, cards["a-one"])
