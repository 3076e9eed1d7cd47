"""The study queue over HTTP (two workers, both backends): new cards, numeric questions, isolation."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import verifier
from service.db.models import QuestionInstance
from service.db.session import make_engine
from tests import loopback
from tests.service.api.conftest import StudyServer
from tests.service.study.conftest import NUMERIC_GENERATOR


def _next(client: httpx.Client, **params: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/study/next", params=params)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


class TestNextCard:
    def test_new_user_starts_with_the_first_card_and_button_intervals(self, study: httpx.Client) -> None:
        body = _next(study)
        assert set(body) == {"card", "kind", "question", "intervals", "counts", "next_due"}
        assert body["kind"] == "new" and body["card"]["id"] == "a-one" and body["question"] is None
        assert body["counts"] == {"new": 7, "learning": 0, "review": 0} and body["next_due"] is None
        assert [body["intervals"][r]["label"] for r in ("again", "hard", "good")] == ["1m", "6m", "10m"]
        assert body["intervals"]["good"]["seconds"] == 600
        assert body["card"]["back"]["html"]  # the same CardRead as GET /cards/{id}

    def test_rating_moves_to_the_next_card(self, study: httpx.Client) -> None:
        first = _next(study)
        assert (
            study.post("/api/v1/reviews", json={"card_id": first["card"]["id"], "rating": 3}).status_code
            == 201
        )
        second = _next(study)
        assert second["card"]["id"] == "a-two"
        assert second["counts"] == {"new": 6, "learning": 1, "review": 0}

    def test_numeric_card_is_answered_not_rated(self, study: httpx.Client) -> None:
        for card_id in ("a-one", "a-two"):
            study.post("/api/v1/reviews", json={"card_id": card_id, "rating": 4})
        body = _next(study)
        assert body["card"]["id"] == "a-num" and body["card"]["generator"] == NUMERIC_GENERATOR
        question = body["question"]
        assert question["generator"]["id"] == NUMERIC_GENERATOR and question["attempts"] == 0
        refused = study.post("/api/v1/reviews", json={"card_id": "a-num", "rating": 3})
        assert refused.status_code == 422
        assert refused.json()["detail"] == "card 'a-num' is numeric: answer its question instead"
        answer = verifier.to_jsonable(verifier.get(NUMERIC_GENERATOR).solve(question["inputs"]))
        graded = study.post(f"/api/v1/questions/{question['id']}/answers", json={"answer": answer})
        assert graded.status_code == 200, graded.text
        review = graded.json()["review"]
        assert (
            review["rating"] == 3
            and review["source"] == "numeric"
            and review["question_id"] == question["id"]
        )
        assert review["card_id"] == "a-num" and review["state_after"]["state"] == "learning"
        assert _next(study)["card"]["id"] == "a-three"

    def test_nothing_left_is_an_empty_200(self, study: httpx.Client) -> None:
        study.patch("/api/v1/me/settings", json={"new_cards_per_day": 0})
        body = _next(study)
        assert body == {
            "card": None,
            "kind": None,
            "question": None,
            "intervals": None,
            "counts": {"new": 0, "learning": 0, "review": 0},
            "next_due": body["next_due"],
        }
        assert body["next_due"] is not None  # unseen cards wait for tomorrow's limit

    def test_deck_filter_and_unknown_deck(self, study: httpx.Client) -> None:
        body = _next(study, deck="beta")
        assert body["card"]["id"] == "b-one" and body["counts"]["new"] == 3
        missing = study.get("/api/v1/study/next", params={"deck": "gamma"})
        assert missing.status_code == 404 and missing.json()["type"] == "NotFound"

    def test_one_users_reviews_do_not_touch_anothers_queue(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3})
        other = make_study_client()
        body = _next(other)
        assert body["card"]["id"] == "a-one" and body["counts"] == {"new": 7, "learning": 0, "review": 0}


def _counts(client: httpx.Client) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/study/counts")
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def _instances(study_server: StudyServer, client: httpx.Client) -> int:
    user_id = client.get("/api/v1/me").json()["id"]
    engine = make_engine(study_server.database_url)
    try:
        with Session(engine) as session:
            query = select(func.count()).select_from(QuestionInstance)
            return int(session.scalar(query.where(QuestionInstance.user_id == user_id)) or 0)
    finally:
        engine.dispose()


class TestStudyCounts:
    def test_new_user_sees_every_deck_and_the_total(self, study: httpx.Client) -> None:
        assert _counts(study) == {
            "decks": [
                {"deck": "alpha", "new": 4, "learning": 0, "review": 0},
                {"deck": "beta", "new": 3, "learning": 0, "review": 0},
            ],
            "total": {"new": 7, "learning": 0, "review": 0},
        }

    def test_each_deck_matches_study_next_with_that_deck(self, study: httpx.Client) -> None:
        study.patch("/api/v1/me/settings", json={"new_cards_per_day": 3})
        for card_id, rating in (("a-one", 3), ("b-one", 1)):
            assert (
                study.post("/api/v1/reviews", json={"card_id": card_id, "rating": rating}).status_code == 201
            )
        counts = _counts(study)
        for deck in counts["decks"]:
            assert _next(study, deck=deck["deck"])["counts"] == {
                kind: deck[kind] for kind in ("new", "learning", "review")
            }
        assert counts["total"] == _next(study)["counts"] == {"new": 1, "learning": 2, "review": 0}

    def test_creates_no_question_instance(self, study: httpx.Client, study_server: StudyServer) -> None:
        for card_id in ("a-one", "a-two"):
            study.post("/api/v1/reviews", json={"card_id": card_id, "rating": 4})
        for _ in range(3):
            assert _counts(study)["total"] == {"new": 5, "learning": 0, "review": 0}
        assert _instances(study_server, study) == 0
        assert _next(study, deck="alpha")["question"] is not None  # the next card is numeric
        assert _instances(study_server, study) == 1

    def test_another_users_reviews_do_not_change_yours(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        other = make_study_client()
        before = _counts(study)
        for card_id in ("a-one", "b-one"):
            assert other.post("/api/v1/reviews", json={"card_id": card_id, "rating": 1}).status_code == 201
        assert _counts(study) == before
        assert _counts(other)["total"] == {"new": 5, "learning": 2, "review": 0}

    def test_requires_a_token(self, study_server: StudyServer) -> None:
        with loopback.client(base_url=study_server.url, timeout=60) as anonymous:
            response = anonymous.get("/api/v1/study/counts")
        assert response.status_code == 401 and response.json()["type"] == "Unauthorized"
