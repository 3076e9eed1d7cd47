"""Reviews over HTTP against two uvicorn workers on both backends: shape, idempotency, undo,
isolation, and concurrency (20 simultaneous requests serialize; no "database is locked" escapes)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import verifier
from service.db.models import Card, IdempotencyKey, ReviewLog
from service.db.session import make_engine
from tests import loopback
from tests.service.api.conftest import StudyServer
from tests.service.study.conftest import NUMERIC_GENERATOR
from tests.service.study.test_reviews import assert_matches_replay, assert_progress_is_exact

CONCURRENT = 20


@pytest.fixture(scope="module")
def database(study_server: StudyServer) -> Iterator[Engine]:
    engine = make_engine(study_server.database_url)
    yield engine
    engine.dispose()


def _user_id(client: httpx.Client) -> int:
    user_id: int = client.get("/api/v1/me").json()["id"]
    return user_id


def _log_count(engine: Engine, user_id: int) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user_id))
            or 0
        )


def _simultaneously(requests: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the requests on their own threads, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = requests[index]()
        except Exception as exc:  # a transport error must fail the test, not hang it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, httpx.Response) for r in results), results
    return results


class TestSubmitReview:
    def test_created_review_shape(self, study: httpx.Client) -> None:
        response = study.post("/api/v1/reviews", json={"card_id": "b-one", "rating": 3, "duration_ms": 4200})
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {
            "id",
            "card_id",
            "rating",
            "source",
            "reviewed_at",
            "duration_ms",
            "state_before",
            "state_after",
            "question_id",
            "hints_used",
            "undone",
        }
        assert (body["card_id"], body["rating"], body["source"], body["undone"]) == (
            "b-one",
            3,
            "self",
            False,
        )
        assert body["state_before"] == {
            "state": "new",
            "step": None,
            "stability": None,
            "difficulty": None,
            "due": None,
            "last_review": None,
        }
        assert body["state_after"]["state"] == "learning" and body["duration_ms"] == 4200

    def test_errors(self, study: httpx.Client) -> None:
        missing = study.post("/api/v1/reviews", json={"card_id": "no-such", "rating": 3})
        assert missing.status_code == 404
        bad = study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 5})
        assert bad.status_code == 422 and bad.json()["detail"].startswith("body field 'rating'")
        long_key = study.post(
            "/api/v1/reviews", json={"card_id": "a-one", "rating": 3}, headers={"Idempotency-Key": "k" * 201}
        )
        assert long_key.status_code == 422 and "idempotency-key" in long_key.json()["detail"]


REVIEW_FIELDS = {
    "id",
    "card_id",
    "rating",
    "source",
    "reviewed_at",
    "duration_ms",
    "state_before",
    "state_after",
    "question_id",
    "hints_used",
    "undone",
}


def _comparable(next_card: dict[str, Any]) -> dict[str, Any]:
    """A StudyNext without what differs between two asks a moment apart: a numeric card's question is
    fresh each time, and the intervals' due times move with the clock (their lengths do not)."""
    comparable = {key: value for key, value in next_card.items() if key not in {"question", "intervals"}}
    intervals = next_card["intervals"] or {}
    comparable["intervals"] = {name: (i["seconds"], i["label"]) for name, i in intervals.items()}
    return comparable


class TestReviewWithNext:
    def test_next_is_what_study_next_then_returns(self, study: httpx.Client) -> None:
        response = study.post("/api/v1/reviews?next=true", json={"card_id": "a-one", "rating": 3})
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == REVIEW_FIELDS | {"next"}
        assert body["card_id"] == "a-one" and body["state_after"]["state"] == "learning"
        after = study.get("/api/v1/study/next").json()
        assert body["next"]["card"]["id"] == "a-two"
        assert _comparable(body["next"]) == _comparable(after)

    def test_without_the_flag_the_response_is_unchanged(self, study: httpx.Client) -> None:
        for query in ("", "?next=false"):
            response = study.post(f"/api/v1/reviews{query}", json={"card_id": "b-one", "rating": 3})
            assert response.status_code == 201 and set(response.json()) == REVIEW_FIELDS

    def test_deck_filters_the_next_card(self, study: httpx.Client) -> None:
        response = study.post("/api/v1/reviews?next=true&deck=beta", json={"card_id": "a-one", "rating": 4})
        assert response.status_code == 201
        assert response.json()["next"]["card"]["id"] == "b-one"
        assert response.json()["next"]["counts"] == {"new": 3, "learning": 0, "review": 0}

    def test_unknown_deck_is_404_and_records_nothing(self, study: httpx.Client, database: Engine) -> None:
        user_id = _user_id(study)
        response = study.post("/api/v1/reviews?next=true&deck=gamma", json={"card_id": "a-one", "rating": 3})
        assert response.status_code == 404 and response.json()["type"] == "NotFound"
        assert _log_count(database, user_id) == 0

    def test_a_retry_replays_the_review_and_gives_the_next_card_as_it_is_then(
        self, study: httpx.Client, database: Engine
    ) -> None:
        user_id = _user_id(study)
        headers = {"Idempotency-Key": "rate-a-one"}
        body = {"card_id": "a-one", "rating": 3}
        first = study.post("/api/v1/reviews?next=true", json=body, headers=headers)
        plain = study.post("/api/v1/reviews", json=body, headers=headers)
        again = study.post("/api/v1/reviews?next=true", json=body, headers=headers)
        assert first.status_code == plain.status_code == again.status_code == 201
        review = {key: value for key, value in first.json().items() if key != "next"}
        assert plain.json() == review
        assert {key: value for key, value in again.json().items() if key != "next"} == review
        assert again.json()["next"]["card"]["id"] == "a-two"
        assert _log_count(database, user_id) == 1

    def test_answer_with_next(self, study: httpx.Client) -> None:
        for card_id in ("a-one", "a-two"):
            study.post("/api/v1/reviews", json={"card_id": card_id, "rating": 4})

        def answer_numeric_card(query: str) -> dict[str, Any]:
            question = study.get("/api/v1/study/next").json()["question"]
            answer = verifier.to_jsonable(verifier.get(NUMERIC_GENERATOR).solve(question["inputs"]))
            graded = study.post(f"/api/v1/questions/{question['id']}/answers{query}", json={"answer": answer})
            assert graded.status_code == 200, graded.text
            body: dict[str, Any] = graded.json()
            return body

        plain = answer_numeric_card("")
        assert "next" not in plain and plain["review"]["card_id"] == "a-num"
        assert study.post("/api/v1/reviews/undo").status_code == 200  # the card is asked again
        body = answer_numeric_card("?next=true")
        assert set(body) == set(plain) | {"next"}
        assert body["review"]["card_id"] == "a-num" and body["review"]["rating"] == 3
        assert body["next"]["card"]["id"] == "a-three"
        assert _comparable(body["next"]) == _comparable(study.get("/api/v1/study/next").json())

    def test_documented_in_the_openapi_schema(self, study: httpx.Client) -> None:
        spec = study.get("/openapi.json").json()
        for path, status, with_next, plain in (
            ("/api/v1/reviews", "201", "ReviewAndNextRead", "ReviewRead"),
            ("/api/v1/questions/{question_id}/answers", "200", "AttemptAndNextRead", "AttemptRead"),
        ):
            operation = spec["paths"][path]["post"]
            flag = next(p for p in operation["parameters"] if p["name"] == "next")
            assert flag["in"] == "query" and flag["schema"]["type"] == "boolean"
            assert flag["schema"]["default"] is False
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert [ref["$ref"].rsplit("/", 1)[1] for ref in body["anyOf"]] == [with_next, plain]
            shape = spec["components"]["schemas"][with_next]
            assert shape["properties"]["next"]["$ref"] == "#/components/schemas/StudyNext"
            assert "next" in shape["required"]


class TestIdempotency:
    def test_retry_returns_the_first_response_and_writes_nothing(
        self, study: httpx.Client, database: Engine
    ) -> None:
        headers = {"Idempotency-Key": "retry-1"}
        first = study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3}, headers=headers)
        second = study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3}, headers=headers)
        assert (first.status_code, second.status_code) == (201, 201) and first.json() == second.json()
        assert _log_count(database, _user_id(study)) == 1
        other = study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 1}, headers=headers)
        assert other.status_code == 409 and other.json()["type"] == "Conflict"

    def test_keys_are_per_user(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        headers = {"Idempotency-Key": "shared-key"}
        mine = study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3}, headers=headers).json()
        theirs = make_study_client().post(
            "/api/v1/reviews", json={"card_id": "a-one", "rating": 3}, headers=headers
        )
        assert theirs.status_code == 201 and theirs.json()["id"] != mine["id"]

    def test_keys_live_in_the_database(self, study: httpx.Client, database: Engine) -> None:
        study.post(
            "/api/v1/reviews", json={"card_id": "a-two", "rating": 2}, headers={"Idempotency-Key": "db-key"}
        )
        with Session(database) as session:
            row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == _user_id(study)))
        assert row is not None and row.key == "db-key" and row.status_code == 201 and row.response is not None


class TestUndo:
    def test_undo_restores_and_marks_then_404(self, study: httpx.Client, database: Engine) -> None:
        first = study.post("/api/v1/reviews", json={"card_id": "b-two", "rating": 3}).json()
        second = study.post("/api/v1/reviews", json={"card_id": "b-two", "rating": 4}).json()
        undone = study.post("/api/v1/reviews/undo")
        assert undone.status_code == 200
        assert undone.json() == {**second, "undone": True}
        again = study.post("/api/v1/reviews/undo").json()
        assert again == {**first, "undone": True}
        nothing = study.post("/api/v1/reviews/undo")
        assert nothing.status_code == 404 and nothing.json()["detail"] == "nothing to undo"
        assert _log_count(database, _user_id(study)) == 2  # marked, never deleted
        assert study.get("/api/v1/study/next").json()["card"]["id"] == "a-one"

    def test_undo_with_a_key_undoes_once(self, study: httpx.Client) -> None:
        study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3})
        kept = study.post("/api/v1/reviews", json={"card_id": "a-two", "rating": 3}).json()
        study.post("/api/v1/reviews", json={"card_id": "a-three", "rating": 3})
        headers = {"Idempotency-Key": "undo-1"}
        first = study.post("/api/v1/reviews/undo", headers=headers)
        second = study.post("/api/v1/reviews/undo", headers=headers)
        assert first.json() == second.json() and first.json()["card_id"] == "a-three"
        assert study.post("/api/v1/reviews/undo").json()["id"] == kept["id"]


class TestIsolation:
    """Another user's reviews, undo, questions, answers and states are invisible: 404, never 403/200."""

    def test_nothing_of_another_user_is_reachable(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3})
        question = study.post(f"/api/v1/generators/{NUMERIC_GENERATOR}/questions", json={"seed": 1}).json()
        answer = verifier.to_jsonable(verifier.get(NUMERIC_GENERATOR).solve(question["inputs"]))
        other = make_study_client()
        assert other.post("/api/v1/reviews/undo").status_code == 404
        assert other.get(f"/api/v1/questions/{question['id']}").status_code == 404
        assert (
            other.post(f"/api/v1/questions/{question['id']}/answers", json={"answer": answer}).status_code
            == 404
        )
        assert other.get("/api/v1/stats").json()["reviews_per_day"][-1]["count"] == 0
        # and the owner still has everything
        assert study.get(f"/api/v1/questions/{question['id']}").json()["attempts"] == 0
        assert study.post("/api/v1/reviews/undo").json()["card_id"] == "a-one"


class TestConcurrency:
    def test_simultaneous_reviews_of_one_card_all_apply_in_order(
        self, study: httpx.Client, study_server: StudyServer, database: Engine
    ) -> None:
        token = study.headers["Authorization"]

        def review(index: int) -> Callable[[], httpx.Response]:
            def send() -> httpx.Response:
                with loopback.client(base_url=study_server.url, timeout=120) as client:
                    return client.post(
                        "/api/v1/reviews",
                        json={"card_id": "b-three", "rating": 1 + index % 4},
                        headers={"Authorization": token, "Idempotency-Key": f"parallel-{index}"},
                    )

            return send

        responses = _simultaneously([review(i) for i in range(CONCURRENT)])
        assert [r.status_code for r in responses] == [201] * CONCURRENT, [
            r.text for r in responses if r.status_code != 201
        ]
        user_id = _user_id(study)
        assert _log_count(database, user_id) == CONCURRENT
        with Session(database) as session:
            card = session.scalar(select(Card).where(Card.id == "b-three"))
            assert card is not None
            assert_matches_replay(session, user_id, card)
            assert_progress_is_exact(session, user_id)
            numbers = session.scalars(
                select(ReviewLog.number).where(ReviewLog.user_id == user_id).order_by(ReviewLog.id)
            ).all()
        assert list(numbers) == list(range(1, CONCURRENT + 1))

    def test_simultaneous_retries_with_one_key_write_once_and_answer_alike(
        self, study: httpx.Client, study_server: StudyServer, database: Engine
    ) -> None:
        token = study.headers["Authorization"]

        def send() -> httpx.Response:
            with loopback.client(base_url=study_server.url, timeout=120) as client:
                return client.post(
                    "/api/v1/reviews",
                    json={"card_id": "b-one", "rating": 3},
                    headers={"Authorization": token, "Idempotency-Key": "double-click"},
                )

        responses = _simultaneously([send] * CONCURRENT)
        assert {r.status_code for r in responses} == {201}
        assert len({r.content for r in responses}) == 1
        assert _log_count(database, _user_id(study)) == 1

    def test_simultaneous_answers_to_one_question_get_distinct_attempts(
        self, study: httpx.Client, study_server: StudyServer
    ) -> None:
        for card_id in ("a-one", "a-two"):
            study.post("/api/v1/reviews", json={"card_id": card_id, "rating": 4})
        question = study.get("/api/v1/study/next").json()["question"]
        answer = verifier.to_jsonable(verifier.get(NUMERIC_GENERATOR).solve(question["inputs"]))
        token = study.headers["Authorization"]

        def send() -> httpx.Response:
            with loopback.client(base_url=study_server.url, timeout=120) as client:
                return client.post(
                    f"/api/v1/questions/{question['id']}/answers",
                    json={"answer": answer},
                    headers={"Authorization": token},
                )

        responses = _simultaneously([send] * 8)
        assert {r.status_code for r in responses} == {200}
        assert sorted(r.json()["number"] for r in responses) == list(range(1, 9))
        assert sum(r.json()["review"] is not None for r in responses) == 1
