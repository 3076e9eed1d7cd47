"""Recording reviews on both backends: stored state == replay of the log, undo, idempotency, progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card, CardState, DeckProgress, IdempotencyKey, ReviewLog, UserSettings
from service.errors import Conflict, InvalidSubmission, NotFound
from service.study import progress, progress_repository, repository, reviews, scheduler
from service.study import settings as study_settings
from service.study.repository import POSITION_MAX
from service.study.scheduler import Rating, StudyState
from service.study.schemas import ReviewCreate, SettingsUpdate
from tests.factories import CardSpec
from tests.service.study.conftest import T0, study_decks, sync
from tests.service.study.synthetic import TRUE_PARAMETERS

PLAIN = ["a-one", "a-two", "a-three", "b-one", "b-two", "b-three"]


def _review(
    session: Session,
    settings: Settings,
    user_id: int,
    card_id: str,
    rating: int,
    *,
    at: timedelta = timedelta(0),
    key: str | None = None,
) -> reviews.ReviewRead:
    return reviews.submit_review(
        session,
        user_id=user_id,
        body=ReviewCreate(card_id=card_id, rating=rating),
        idempotency_key=key,
        settings=settings,
        now=T0 + at,
    )


def assert_matches_replay(session: Session, user_id: int, card: Card) -> None:
    """The invariant: the stored state is the replay of the non-undone log with each entry's scheduler."""
    logs = [
        log for log in repository.card_history(session, user_id=user_id, card_key=card.key) if not log.undone
    ]
    specs = {
        config.id: study_settings.spec_of(config)
        for config in repository.scheduler_configs(session, {log.scheduler_config_id for log in logs})
    }
    replayed = scheduler.replay(
        specs,
        [(log.scheduler_config_id, Rating(log.rating), log.reviewed_at, log.balance) for log in logs],
        user_id=user_id,
        card_key=card.key,
    )
    stored = reviews.snapshot_of(session.get(CardState, (user_id, card.key)))
    assert stored == replayed
    row = session.get(CardState, (user_id, card.key))
    assert (row.reps if row else 0) == len(logs)
    assert [log.number for log in logs] == list(range(1, len(logs) + 1))


def assert_progress_is_exact(session: Session, user_id: int) -> None:
    """The maintained per-deck counters equal a recount, and every cursor is a valid lower bound."""
    settings_row = session.get(UserSettings, user_id)
    assert settings_row is not None
    stored = {
        row.deck_id: row
        for row in session.scalars(select(DeckProgress).where(DeckProgress.user_id == user_id))
    }
    recount = progress_repository.computed_progress(session, user_id, exact_new_from=True)
    for deck_id, counts in recount.items():
        row = stored[deck_id]
        assert (row.learning, row.young, row.mature) == (counts.learning, counts.young, counts.mature)
        assert row.new_from <= counts.new_from or counts.new_from == POSITION_MAX
    for deck_id, row in stored.items():
        if deck_id not in recount:
            assert (row.learning, row.young, row.mature) == (0, 0, 0)


class TestSubmitReview:
    def test_first_review_creates_state_and_log(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        read = _review(db_session, settings, user, "a-one", 3)
        assert read.state_before.state == "new" and read.state_before.due is None
        assert read.state_after.state == "learning" and read.state_after.step == 1
        assert read.source == "self" and read.question_id is None and not read.undone
        assert read.state_after.due == T0 + timedelta(minutes=10)
        assert_matches_replay(db_session, user, content["a-one"])

    def test_unknown_card_is_404_and_numeric_card_is_refused(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        with pytest.raises(NotFound):
            _review(db_session, settings, user, "no-such-card", 3)
        with pytest.raises(InvalidSubmission, match="card 'a-num' is numeric: answer its question instead"):
            _review(db_session, settings, user, "a-num", 3)
        assert (
            db_session.scalar(select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user))
            == 0
        )

    def test_review_time_never_goes_backwards(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        """A request whose clock reading is older than the card's last review is logged at that review."""
        user = make_user()
        _review(db_session, settings, user, "a-one", 3, at=timedelta(seconds=10))
        late = _review(db_session, settings, user, "a-one", 3, at=timedelta(seconds=5))
        assert late.reviewed_at == T0 + timedelta(seconds=10)
        assert_matches_replay(db_session, user, content["a-one"])

    def test_users_do_not_share_states(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        first, second = make_user(), make_user()
        _review(db_session, settings, first, "a-one", 4)
        assert db_session.get(CardState, (second, content["a-one"].key)) is None


class TestReplay:
    @given(
        steps=st.lists(
            st.tuples(
                st.sampled_from(PLAIN[:3]),
                st.sampled_from([1, 2, 3, 4]),
                st.integers(min_value=0, max_value=40 * 86_400),
                st.booleans(),
                # a retention change, or new fsrs weights (what POST /me/optimize stores)
                st.sampled_from([None, 0.8, 0.95, "fitted", "default"]),
            ),
            min_size=1,
            max_size=25,
        )
    )
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_random_histories_with_undo_and_setting_changes_equal_their_replay(
        self,
        db_session: Session,
        settings: Settings,
        content: dict[str, Card],
        make_user: Callable[[], int],
        steps: list[tuple[str, int, int, bool, float | str | None]],
    ) -> None:
        user = make_user()
        elapsed = timedelta(0)
        for card_id, rating, wait, undo, retention in steps:
            elapsed += timedelta(seconds=wait)
            if isinstance(retention, str):
                weights = TRUE_PARAMETERS if retention == "fitted" else scheduler.DEFAULT_PARAMETERS
                study_settings.set_parameters(db_session, user_id=user, parameters=weights, now=T0 + elapsed)
            elif retention is not None:
                study_settings.update_settings(
                    db_session,
                    user_id=user,
                    update=SettingsUpdate(desired_retention=retention),
                    now=T0 + elapsed,
                )
            _review(db_session, settings, user, card_id, rating, at=elapsed)
            if undo:
                reviews.undo_last_review(
                    db_session, user_id=user, idempotency_key=None, settings=settings, now=T0 + elapsed
                )
        for card_id in PLAIN[:3]:
            assert_matches_replay(db_session, user, content[card_id])
        assert_progress_is_exact(db_session, user)


class TestUndo:
    def test_restores_the_exact_state_and_marks_the_log(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _review(db_session, settings, user, "a-one", 3)
        _review(db_session, settings, user, "a-one", 3, at=timedelta(minutes=10))
        key = content["a-one"].key
        before = reviews.snapshot_of(db_session.get(CardState, (user, key)))
        third = _review(db_session, settings, user, "a-one", 1, at=timedelta(days=3))
        undone = reviews.undo_last_review(
            db_session, user_id=user, idempotency_key=None, settings=settings, now=T0
        )
        assert undone.id == third.id and undone.undone
        assert reviews.snapshot_of(db_session.get(CardState, (user, key))) == before
        log = db_session.get(ReviewLog, third.id)
        assert log is not None and log.undone and log.undone_at == T0
        assert_matches_replay(db_session, user, content["a-one"])

    def test_undoing_a_first_review_makes_the_card_new_again(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _review(db_session, settings, user, "b-two", 3)
        reviews.undo_last_review(db_session, user_id=user, idempotency_key=None, settings=settings, now=T0)
        assert db_session.get(CardState, (user, content["b-two"].key)) is None
        assert (
            db_session.scalar(select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user))
            == 1
        )
        assert_progress_is_exact(db_session, user)

    def test_undo_walks_back_through_several_cards_then_404(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        for i, card_id in enumerate(["a-one", "b-one", "a-one"]):
            _review(db_session, settings, user, card_id, 3, at=timedelta(minutes=i))
        undone = [
            reviews.undo_last_review(
                db_session, user_id=user, idempotency_key=None, settings=settings, now=T0
            ).card_id
            for _ in range(3)
        ]
        assert undone == ["a-one", "b-one", "a-one"]
        with pytest.raises(NotFound, match="nothing to undo"):
            reviews.undo_last_review(
                db_session, user_id=user, idempotency_key=None, settings=settings, now=T0
            )

    def test_only_the_callers_reviews_are_undone(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        first, second = make_user(), make_user()
        _review(db_session, settings, first, "a-one", 3)
        with pytest.raises(NotFound):
            reviews.undo_last_review(
                db_session, user_id=second, idempotency_key=None, settings=settings, now=T0
            )


class TestIdempotency:
    def test_same_key_same_body_replays_and_writes_nothing(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        first = _review(db_session, settings, user, "a-one", 3, key="k-1")
        again = _review(db_session, settings, user, "a-one", 3, at=timedelta(hours=1), key="k-1")
        assert again == first
        count = select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user)
        assert db_session.scalar(count) == 1

    def test_same_key_other_body_is_a_conflict(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _review(db_session, settings, user, "a-one", 3, key="k-1")
        with pytest.raises(Conflict, match="k-1"):
            _review(db_session, settings, user, "a-one", 4, key="k-1")

    def test_keys_are_per_user(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        first, second = make_user(), make_user()
        a = _review(db_session, settings, first, "a-one", 3, key="same")
        b = _review(db_session, settings, second, "a-one", 3, key="same")
        assert a.id != b.id

    def test_a_failed_request_does_not_keep_its_key(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        with pytest.raises(NotFound), db_session.begin_nested():
            _review(db_session, settings, user, "no-such-card", 3, key="k-err")
        assert (
            db_session.scalar(
                select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.user_id == user)
            )
            == 0
        )

    def test_keys_are_kept_for_the_ttl_then_purged(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        first = _review(db_session, settings, user, "a-one", 3, key="k-old")
        replay = _review(
            db_session, settings, user, "a-one", 3, at=timedelta(hours=23, minutes=59), key="k-old"
        )
        assert replay == first
        later = _review(
            db_session, settings, user, "a-one", 3, at=timedelta(hours=24, minutes=1), key="k-old"
        )
        assert later.id != first.id


class TestProgress:
    def test_counters_follow_reviews_and_the_cursor_skips_seen_cards(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _review(db_session, settings, user, "b-two", 3)  # out of order: beta's cursor stays at b-one
        _review(db_session, settings, user, "b-one", 3)
        row = progress_repository.progress_row(db_session, user, "beta")
        assert row is not None and row.learning == 2
        assert row.new_from == content["b-three"].position
        _review(db_session, settings, user, "b-one", 4, at=timedelta(minutes=10))
        row = progress_repository.progress_row(db_session, user, "beta")
        assert row is not None and (row.learning, row.young + row.mature) == (1, 1)
        assert_progress_is_exact(db_session, user)

    def test_content_change_rebuilds_before_the_next_review(
        self,
        db_session: Session,
        settings: Settings,
        content: dict[str, Card],
        make_user: Callable[[], int],
        tmp_path: Path,
    ) -> None:
        user = make_user()
        _review(db_session, settings, user, "a-one", 3)
        _review(db_session, settings, user, "b-one", 3)
        decks = study_decks()
        decks[0].cards = [card for card in decks[0].cards if card.id != "a-one"]  # archived
        decks[1].cards.insert(0, CardSpec("b-zero"))  # a new first card in beta
        sync(db_session, tmp_path / "content", decks)
        settings_row = db_session.get(UserSettings, user)
        assert settings_row is not None
        assert {d.deck.id: d.learning for d in progress.deck_counts(db_session, settings_row)} == {
            "alpha": 0,
            "beta": 1,
        }
        _review(db_session, settings, user, "b-two", 3)
        db_session.refresh(settings_row)  # the review updates the row with a Core statement
        assert settings_row.progress_version == progress_repository.content_version(db_session)
        assert_progress_is_exact(db_session, user)
        beta = progress_repository.progress_row(db_session, user, "beta")
        assert beta is not None and beta.new_from <= db_session.scalar(
            select(Card.position).where(Card.id == "b-zero")
        )

    def test_deck_counts_split_new_learning_young_mature(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _review(db_session, settings, user, "a-one", 3)
        _review(db_session, settings, user, "a-two", 4)  # Easy on a new card: review state
        settings_row = db_session.get(UserSettings, user)
        assert settings_row is not None
        alpha = next(d for d in progress.deck_counts(db_session, settings_row) if d.deck.id == "alpha")
        state = db_session.get(CardState, (user, content["a-two"].key))
        assert state is not None and state.state == StudyState.REVIEW
        mature = state.interval_days >= 21
        assert (alpha.new, alpha.learning, alpha.young, alpha.mature) == (2, 1, int(not mature), int(mature))


def test_card_states_are_typed_columns(
    db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
) -> None:
    user = make_user()
    _review(db_session, settings, user, "a-one", 3)
    row = db_session.scalar(select(CardState).where(CardState.user_id == user))
    assert row is not None and row.due.tzinfo is not None and isinstance(row.stability, float)
