"""The interview plan on both backends: settings, readiness figures, cards brought forward, new cards
spread over the days left, and a simulated learner who reaches the target by the date."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card, CardState, ReviewLog
from service.errors import InvalidSubmission
from service.study import interview, reviews, scheduler, service
from service.study import settings as study_settings
from service.study.scheduler import Rating, StudyState
from service.study.schemas import ReadinessRead, ReviewCreate, SettingsUpdate
from tests.factories import CardSpec, DeckSpec
from tests.service.study.conftest import T0, sync
from tests.service.study.test_reviews import assert_matches_replay

TODAY = T0.date()  # T0 is 12:00 UTC; the default user is in UTC with days starting at 04:00


def _rate(session: Session, settings: Settings, user: int, card_id: str, rating: int, now: datetime) -> None:
    reviews.submit_review(
        session,
        user_id=user,
        body=ReviewCreate(card_id=card_id, rating=rating),
        idempotency_key=None,
        settings=settings,
        now=now,
    )


def _plan(session: Session, user: int, **fields: object) -> None:
    study_settings.update_settings(
        session, user_id=user, update=SettingsUpdate.model_validate(fields), now=T0
    )


class TestSettings:
    def test_date_target_and_cap_round_trip_and_null_clears(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        defaults = study_settings.get_settings(db_session, user_id=user)
        assert (defaults.interview_date, defaults.target_retention_on_the_day, defaults.daily_cap) == (
            None,
            0.9,
            None,
        )
        _plan(db_session, user, interview_date=TODAY + timedelta(days=10), target_retention_on_the_day=0.95)
        _plan(db_session, user, daily_cap=80, easy_days=[6, 5, 6], load_balancing=True)
        read = study_settings.get_settings(db_session, user_id=user)
        assert read.interview_date == TODAY + timedelta(days=10)
        assert (read.target_retention_on_the_day, read.daily_cap) == (0.95, 80)
        assert (read.easy_days, read.load_balancing) == ([5, 6], True)
        _plan(db_session, user, interview_date=None, daily_cap=None)
        read = study_settings.get_settings(db_session, user_id=user)
        assert (read.interview_date, read.daily_cap, read.target_retention_on_the_day) == (None, None, 0.95)

    def test_a_date_in_the_past_is_refused_naming_the_field(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        with pytest.raises(InvalidSubmission, match="body field 'interview_date'"):
            _plan(db_session, user, interview_date=TODAY - timedelta(days=1))
        # Today is fine; in Pacific/Kiritimati (UTC+14, 02:00) with days starting at midnight it is
        # already the next day at T0.
        _plan(db_session, user, interview_date=TODAY)
        with pytest.raises(InvalidSubmission, match="interview_date"):
            _plan(db_session, user, interview_date=TODAY, timezone="Pacific/Kiritimati", day_start_hour=0)

    @pytest.mark.parametrize("target", [0.5, 0.99, 1.2])
    def test_target_outside_the_open_range_is_invalid(self, target: float) -> None:
        with pytest.raises(ValueError, match="target_retention_on_the_day"):
            SettingsUpdate.model_validate({"target_retention_on_the_day": target})


class TestRecallCurve:
    def test_the_curve_is_fsrs_retrievability(self) -> None:
        spec = scheduler.default_spec(
            learning_steps=(60, 600), relearning_steps=(600,), desired_retention=0.9
        )
        curve = scheduler.recall_curve(spec)
        for stability in (0.5, 3.0, 40.0):
            for elapsed in (0, 1, 7, 100):
                snapshot = scheduler.Snapshot(
                    state=StudyState.REVIEW,
                    step=None,
                    stability=stability,
                    difficulty=5.0,
                    due=T0,
                    last_review=T0,
                )
                expected = scheduler.retrievability(spec, snapshot, now=T0 + timedelta(days=elapsed, hours=5))
                assert curve(elapsed, stability) == pytest.approx(expected, rel=1e-12)
                if elapsed:
                    needed = curve.stability_needed(elapsed, expected)
                    assert needed == pytest.approx(stability, rel=1e-9)


class TestReadiness:
    def test_sql_recall_is_the_mean_of_fsrs_retrievability_with_unseen_cards_at_zero(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _rate(db_session, settings, user, "a-one", 4, T0)
        _rate(db_session, settings, user, "a-two", 3, T0 + timedelta(minutes=1))
        _rate(db_session, settings, user, "b-one", 2, T0 + timedelta(minutes=2))
        _plan(db_session, user, interview_date=TODAY + timedelta(days=20))
        report = interview.readiness(db_session, user_id=user, now=T0 + timedelta(hours=1))
        _row, spec = study_settings.load(db_session, user)
        at = datetime.combine(TODAY + timedelta(days=20), datetime.min.time(), tzinfo=T0.tzinfo) + timedelta(
            hours=4
        )
        assert report.at == at and report.days_left == 20
        by_deck = {d.deck: d for d in report.decks}
        for deck, card_ids in {
            "alpha": ["a-one", "a-two", "a-num", "a-three"],
            "beta": ["b-one", "b-two", "b-three"],
        }.items():
            recalls = [
                scheduler.retrievability(
                    spec, reviews.snapshot_of(db_session.get(CardState, (user, content[c].key))), now=at
                )
                for c in card_ids
            ]
            figures = by_deck[deck]
            assert figures.cards == len(card_ids)
            assert figures.predicted_recall == pytest.approx(sum(recalls) / len(recalls), rel=1e-9)
            assert figures.unseen == sum(1 for r in recalls if r == 0)
            assert figures.at_risk == sum(1 for r in recalls if 0 < r < 0.9)
        assert report.overall.cards == 7 and report.overall.unseen == 4
        needed = report.overall.at_risk + 3 * 4
        assert report.overall.reviews_per_day_needed == -(-needed // 20)
        assert report.daily_cap == interview.CAP_FLOOR and report.can_reach is True

    def test_without_a_date_the_figures_are_for_now(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        report = interview.readiness(db_session, user_id=make_user(), now=T0)
        assert report.interview_date is None and report.days_left is None and report.can_reach is None
        assert report.at == T0 and report.overall.predicted_recall == 0.0
        assert report.overall.reviews_per_day_needed is None


class TestQueue:
    def test_a_card_at_risk_on_the_day_is_brought_forward_once_a_day_within_the_cap(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        beta = ["b-one", "b-two", "b-three"]
        for minute, card_id in enumerate(beta):  # Easy: review cards due in days
            _rate(db_session, settings, user, card_id, 4, T0 + timedelta(minutes=minute))
        states = [db_session.get(CardState, (user, content[c].key)) for c in beta]
        assert all(s is not None and s.state == StudyState.REVIEW for s in states)
        # Before every due date, so fsrs alone would not show them again by then.
        interview_day = min(s.due for s in states if s is not None).date() - timedelta(days=1)
        later = T0 + timedelta(days=1)

        def shown_in_beta() -> str | None:
            shown = service.next_card(db_session, user_id=user, deck="beta", settings=settings, now=later)
            assert shown.kind in {None, "review"}
            return None if shown.card is None else shown.card.id

        assert shown_in_beta() is None
        # A target above what fsrs keeps up to the due dates: every card is at risk on the day.
        _plan(db_session, user, interview_date=interview_day, target_retention_on_the_day=0.98)
        first = shown_in_beta()
        assert first in beta
        _rate(db_session, settings, user, first, 3, later)
        log = db_session.scalars(select(ReviewLog).where(ReviewLog.user_id == user)).all()
        assert sorted(entry.rating for entry in log) == [3, 4, 4, 4]  # an ordinary review, in the log
        for card_id in beta:
            assert_matches_replay(db_session, user, content[card_id])
        # Reviewed today: not again the same day, whatever its recall on the day.
        second = shown_in_beta()
        assert second in beta and second != first
        # A cap reached stops early reviews (one review so far today).
        _plan(db_session, user, daily_cap=1)
        assert shown_in_beta() is None

    def test_new_cards_are_spread_over_the_days_left(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _plan(db_session, user, new_cards_per_day=1)
        assert service.study_counts(db_session, user_id=user, now=T0).total.new == 1
        _plan(db_session, user, interview_date=TODAY + timedelta(days=3))  # 7 unseen cards over 3 days
        assert service.study_counts(db_session, user_id=user, now=T0).total.new == 3
        _rate(db_session, settings, user, "a-one", 3, T0)
        assert service.study_counts(db_session, user_id=user, now=T0).total.new == 2
        _plan(db_session, user, daily_cap=2)  # one review done, one more allowed
        assert service.study_counts(db_session, user_id=user, now=T0).total.new == 1


# --- a simulated learner --------------------------------------------------------------------------

LEARNER_CARDS = 20
LEARNER_DAYS = 14
LEARNER_NEW_PER_DAY = 1
TARGET = 0.95
STUDY_HOUR = 18


def _simulate(
    session: Session, settings: Settings, user: int, *, first: date, until: date, rng: random.Random
) -> None:
    """Study every day from ``first`` to the day before ``until`` at 18:00 UTC, through the real queue:
    a new or learning card is answered Good, a review card is recalled with fsrs's own retrievability."""
    _row, spec = study_settings.load(session, user)
    keys = {card.id: card.key for card in session.scalars(select(Card))}
    day = first
    while day < until:
        now = datetime.combine(day, datetime.min.time(), tzinfo=T0.tzinfo) + timedelta(hours=STUDY_HOUR)
        end = now + timedelta(hours=6)
        for _ in range(400):
            shown = service.next_card(session, user_id=user, deck=None, settings=settings, now=now)
            if shown.card is None:
                if shown.next_due is None or shown.next_due >= end:
                    break
                now = max(now, shown.next_due)
                continue
            state = reviews.snapshot_of(session.get(CardState, (user, keys[shown.card.id])))
            if state.state == StudyState.REVIEW:
                recalled = rng.random() < scheduler.retrievability(spec, state, now=now)
                rating = Rating.GOOD if recalled else Rating.AGAIN
            else:
                rating = Rating.GOOD
            _rate(session, settings, user, shown.card.id, int(rating), now)
            now += timedelta(seconds=30)
        day += timedelta(days=1)


def _learn(
    session: Session, settings: Settings, user: int, *, interview_day: date, plan: bool
) -> ReadinessRead:
    """Study until the day with or without the interview plan, then report readiness for the day."""
    if plan:
        _plan(session, user, interview_date=interview_day)
    _simulate(session, settings, user, first=TODAY, until=interview_day, rng=random.Random(15))
    _plan(session, user, interview_date=interview_day)
    at = datetime.combine(interview_day, datetime.min.time(), tzinfo=T0.tzinfo) + timedelta(hours=4)
    report = interview.readiness(session, user_id=user, now=at)
    assert report.at == at and report.days_left == 0
    return report


def test_a_simulated_learner_reaches_the_target_on_the_day(
    db_session: Session, settings: Settings, tmp_path: Path, make_user: Callable[[], int]
) -> None:
    cards = [CardSpec(f"s-{i:02d}") for i in range(LEARNER_CARDS)]
    decks = [
        DeckSpec("sim-a", cards=cards[: LEARNER_CARDS // 2]),
        DeckSpec("sim-b", cards=cards[LEARNER_CARDS // 2 :]),
    ]
    sync(db_session, tmp_path / "content", decks)
    interview_day = TODAY + timedelta(days=LEARNER_DAYS)
    users = {plan: make_user() for plan in (True, False)}
    reports = {}
    for plan, user in users.items():
        _plan(db_session, user, new_cards_per_day=LEARNER_NEW_PER_DAY, target_retention_on_the_day=TARGET)
        reports[plan] = _learn(db_session, settings, user, interview_day=interview_day, plan=plan)
    ready = reports[True]
    assert ready.overall.unseen == 0
    assert ready.overall.predicted_recall is not None and ready.overall.predicted_recall >= TARGET
    for deck in ready.decks:
        if deck.deck.startswith("sim-"):
            assert deck.predicted_recall is not None and deck.predicted_recall >= TARGET
    # The same learner without the plan (fsrs's own schedule, the daily new-card limit) falls short.
    unplanned = reports[False].overall.predicted_recall
    assert unplanned is not None and unplanned < TARGET
