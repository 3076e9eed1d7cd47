"""The fsrs wiring: golden interval sequences, fuzz inside fsrs's own ranges, determinism, thread safety."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.errors import SchedulingError
from service.study import scheduler
from service.study.scheduler import FuzzKey, Rating, Snapshot, StudyState

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
SPEC = scheduler.default_spec(learning_steps=[60, 600], relearning_steps=[600], desired_retention=0.9)
# py-fsrs's own golden test (tests/test_basic.py): this rating sequence, reviewed when due, without fuzz.
GOLDEN_RATINGS = [3, 3, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3]
PY_FSRS_GOLDEN_DAYS = [0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]
# The same sequence with dlquiz's fuzz for user 1, card 42: pinned so any change to the seeding shows.
DLQUIZ_GOLDEN_DAYS = [0, 2, 12, 51, 178, 538, 0, 0, 2, 4, 8, 15, 23]


def _days_history(fuzz_user: int | None) -> list[int]:
    state, now, history = scheduler.NEW_CARD, T0, []
    for number, rating in enumerate(GOLDEN_RATINGS, start=1):
        if fuzz_user is None:
            # fsrs itself, no fuzz: what dlquiz's review must equal before its own fuzz is applied.
            card, _ = fsrs.Scheduler(enable_fuzzing=False).review_card(
                scheduler._to_fsrs(state, now=now), fsrs.Rating(rating), review_datetime=now
            )
            state = scheduler._from_fsrs(card)
        else:
            state = scheduler.review(
                SPEC, state, Rating(rating), now=now, fuzz=FuzzKey(fuzz_user, 42, number)
            )
        assert state.due is not None
        history.append((state.due - now).days)
        now = state.due
    return history


class TestGolden:
    def test_unfuzzed_wiring_reproduces_py_fsrs_golden_sequence(self) -> None:
        assert _days_history(None) == PY_FSRS_GOLDEN_DAYS

    def test_fuzzed_sequence_is_pinned(self) -> None:
        assert _days_history(1) == DLQUIZ_GOLDEN_DAYS

    def test_fuzzed_sequence_stays_within_fsrs_ranges_of_the_unfuzzed_one(self) -> None:
        for plain, fuzzed in zip(PY_FSRS_GOLDEN_DAYS, DLQUIZ_GOLDEN_DAYS, strict=True):
            if plain < 3:
                assert fuzzed == plain
        # later intervals differ because stability depends on the (fuzzed) elapsed time; each one is
        # checked against fsrs's range by the property tests below


class _Fixed(random.Random):
    """A generator whose every draw is ``value``."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


class TestFuzz:
    @given(
        days=st.integers(min_value=1, max_value=36500),
        maximum=st.integers(min_value=1, max_value=36500),
        draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    )
    @settings(max_examples=500, deadline=None)
    def test_same_draw_gives_exactly_fsrs_fuzz(self, days: int, maximum: int, draw: float) -> None:
        """fsrs's own fuzz with its module-global random() pinned to ``draw`` and dlquiz's fuzz with a
        generator returning ``draw`` give the same interval: ranges, rounding and caps are fsrs's."""
        days = min(days, maximum)
        fsrs_scheduler = fsrs.Scheduler(maximum_interval=maximum, enable_fuzzing=True)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("fsrs.scheduler.random", lambda: draw)
            expected = fsrs_scheduler._get_fuzzed_interval(interval=timedelta(days=days)).days
        assert scheduler.fuzz_interval(days, maximum_interval=maximum, rng=_Fixed(draw)) == expected

    @given(
        days=st.integers(min_value=3, max_value=36500),
        user=st.integers(min_value=1, max_value=10**6),
        card=st.integers(min_value=1, max_value=10**6),
        number=st.integers(min_value=1, max_value=1000),
    )
    @settings(max_examples=300, deadline=None)
    def test_fuzzed_interval_stays_in_range_and_is_deterministic(
        self, days: int, user: int, card: int, number: int
    ) -> None:
        key = FuzzKey(user, card, number)
        low, high = scheduler.fuzz_range(days, maximum_interval=36500)
        first = scheduler.fuzz_interval(days, maximum_interval=36500, rng=key.rng())
        # fsrs draws uniformly from [low, high + 1) and rounds, so high + 1 is possible (kept as fsrs has it)
        assert low <= first <= min(high + 1, 36500)
        assert scheduler.fuzz_interval(days, maximum_interval=36500, rng=key.rng()) == first

    def test_fuzz_spreads_over_the_range(self) -> None:
        draws = {
            scheduler.fuzz_interval(100, maximum_interval=36500, rng=FuzzKey(1, 1, n).rng())
            for n in range(400)
        }
        low, high = scheduler.fuzz_range(100, maximum_interval=36500)
        assert (low, high) == (93, 107)
        assert set(range(low, high + 1)) <= draws <= set(range(low, high + 2))

    def test_global_random_state_is_neither_used_nor_changed(self) -> None:
        before = Snapshot(StudyState.REVIEW, None, 20.0, 5.0, T0 + timedelta(days=20), T0)
        random.seed(1)
        expected_global = random.random()
        random.seed(1)
        first = scheduler.review(
            SPEC, before, Rating.GOOD, now=T0 + timedelta(days=20), fuzz=FuzzKey(1, 2, 3)
        )
        assert random.random() == expected_global  # the global generator was not advanced
        random.seed(999)
        again = scheduler.review(
            SPEC, before, Rating.GOOD, now=T0 + timedelta(days=20), fuzz=FuzzKey(1, 2, 3)
        )
        assert again == first

    def test_concurrent_reviews_get_the_same_results_as_sequential_ones(self) -> None:
        before = Snapshot(StudyState.REVIEW, None, 30.0, 5.0, T0 + timedelta(days=30), T0)
        now = T0 + timedelta(days=30)
        keys = [FuzzKey(user, card, 1) for user in range(1, 9) for card in range(1, 26)]
        expected = {key: scheduler.review(SPEC, before, Rating.GOOD, now=now, fuzz=key) for key in keys}
        results: dict[FuzzKey, Snapshot] = {}
        barrier = threading.Barrier(8)

        def worker(user: int) -> None:
            barrier.wait()
            for _ in range(20):
                for key in keys:
                    if key.user_id == user:
                        results[key] = scheduler.review(SPEC, before, Rating.GOOD, now=now, fuzz=key)
                random.random()  # other code touching the global generator must not matter

        threads = [threading.Thread(target=worker, args=(user,)) for user in range(1, 9)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == expected
        assert len({r.due for r in results.values()}) > 1  # fuzz really varies between cards


class TestReview:
    def test_new_card_good_goes_to_the_second_learning_step(self) -> None:
        after = scheduler.review(SPEC, scheduler.NEW_CARD, Rating.GOOD, now=T0, fuzz=FuzzKey(1, 1, 1))
        assert after.state == StudyState.LEARNING and after.step == 1
        assert after.due == T0 + timedelta(minutes=10) and after.last_review == T0

    def test_custom_steps_are_used(self) -> None:
        spec = scheduler.default_spec(learning_steps=[30], relearning_steps=[], desired_retention=0.9)
        after = scheduler.review(spec, scheduler.NEW_CARD, Rating.AGAIN, now=T0, fuzz=FuzzKey(1, 1, 1))
        assert after.due == T0 + timedelta(seconds=30)

    def test_naive_datetime_is_a_scheduling_error(self) -> None:
        with pytest.raises(SchedulingError):
            scheduler.review(
                SPEC, scheduler.NEW_CARD, Rating.GOOD, now=datetime(2026, 1, 1), fuzz=FuzzKey(1, 1, 1)
            )

    def test_invalid_parameters_are_a_scheduling_error_listing_them(self) -> None:
        bad = scheduler.SchedulerSpec((100.0,) * 21, 0.9, (60,), (600,), 36500)
        with pytest.raises(SchedulingError, match="parameters"):
            scheduler.validate(bad)

    def test_preview_equals_the_review_each_rating_would_make(self) -> None:
        before = Snapshot(StudyState.REVIEW, None, 12.0, 6.0, T0 + timedelta(days=12), T0)
        now = T0 + timedelta(days=13)
        shown = scheduler.preview(SPEC, before, now=now, fuzz=FuzzKey(5, 6, 7))
        for rating in Rating:
            assert shown[rating] == scheduler.review(SPEC, before, rating, now=now, fuzz=FuzzKey(5, 6, 7))
        assert shown[Rating.AGAIN].state == StudyState.RELEARNING

    def test_mature_means_an_interval_of_21_days_or_more(self) -> None:
        young = Snapshot(StudyState.REVIEW, None, 1.0, 5.0, T0 + timedelta(days=20), T0)
        mature = Snapshot(StudyState.REVIEW, None, 1.0, 5.0, T0 + timedelta(days=21), T0)
        assert not young.mature and mature.mature and mature.interval_days == 21
