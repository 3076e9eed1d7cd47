"""Whiteboard mode on both backends: the ``calculator`` setting, drills and the study queue follow it,
and each question instance records the mode that made it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.db.models import Card, QuestionInstance
from service.quiz import service as quiz_service
from service.study import reviews, service
from service.study import settings as study_settings
from service.study.schemas import ReviewCreate, SettingsUpdate
from tests.service.study.conftest import NUMERIC_GENERATOR, T0

HAND_WORKABLE = "activations.label_smoothing"  # whiteboard draws differ: whole logits and a table of e^z


def _whiteboard(session: Session, user: int) -> None:
    study_settings.update_settings(session, user_id=user, update=SettingsUpdate(calculator=False), now=T0)


class TestSetting:
    def test_defaults_on_and_can_be_switched_off_and_on(
        self, db_session: Session, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        assert study_settings.get_settings(db_session, user_id=user).calculator is True
        _whiteboard(db_session, user)
        assert study_settings.get_settings(db_session, user_id=user).calculator is False
        assert study_settings.calculator_mode(db_session, user) is False
        back = study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(new_cards_per_day=5), now=T0
        )
        assert back.calculator is False  # other changes leave it alone
        on = study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(calculator=True), now=T0
        )
        assert on.calculator is True


class TestDrills:
    def test_questions_follow_the_setting_and_record_the_mode(
        self, db_session: Session, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        generator = verifier.get(HAND_WORKABLE)
        default = quiz_service.create_question(db_session, HAND_WORKABLE, user_id=user, seed=7, now=T0)
        assert default.calculator is True
        assert default.prompt.markdown == generator.generate(7).prompt
        _whiteboard(db_session, user)
        hand = quiz_service.create_question(db_session, HAND_WORKABLE, user_id=user, seed=7, now=T0)
        assert hand.calculator is False
        assert hand.prompt.markdown == generator.generate(7, calculator=False).prompt
        assert "You may use" in hand.prompt.markdown and "No calculator needed" in hand.prompt.markdown
        stored = db_session.get(QuestionInstance, hand.id)
        assert stored is not None and stored.calculator is False
        assert quiz_service.get_question(db_session, hand.id, user_id=user).calculator is False

    def test_an_explicit_mode_wins_over_the_setting(
        self, db_session: Session, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _whiteboard(db_session, user)
        question = quiz_service.create_question(
            db_session, HAND_WORKABLE, user_id=user, seed=7, now=T0, calculator=True
        )
        assert question.calculator is True
        assert question.prompt.markdown == verifier.get(HAND_WORKABLE).generate(7).prompt


class TestStudyQueue:
    def test_numeric_cards_are_made_in_the_users_mode(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _whiteboard(db_session, user)
        for card_id in ("a-one", "a-two"):
            reviews.submit_review(
                db_session,
                user_id=user,
                body=ReviewCreate(card_id=card_id, rating=4),
                idempotency_key=None,
                settings=settings,
                now=T0,
            )
        shown = service.next_card(
            db_session, user_id=user, deck=None, settings=settings, now=T0 + timedelta(0)
        )
        assert shown.card is not None and shown.card.id == "a-num" and shown.question is not None
        assert shown.question.calculator is False
        instance = db_session.get(QuestionInstance, shown.question.id)
        assert instance is not None and instance.calculator is False
        again = verifier.get(NUMERIC_GENERATOR).generate(instance.seed, calculator=False)
        assert instance.prompt_md == again.prompt and instance.inputs == again.inputs_json()
        del content
