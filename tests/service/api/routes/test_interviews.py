"""Mock interviews and remediation drills over HTTP (real uvicorn, both backends)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests import loopback
from tests.service.interview.helpers import misconception_answer, right_answer
from tests.service.study.conftest import NUMERIC_GENERATOR

MISCONCEPTION = "bagging.one-over-n"


def _start(client: httpx.Client, **body: object) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/mock-interviews", json=body)
    assert response.status_code == 201, response.text
    created: dict = response.json()  # type: ignore[type-arg]
    return created


class TestMockInterview:
    def test_one_interview_end_to_end(self, study: httpx.Client) -> None:
        interview = _start(study, length=3, seed=5)
        assert interview["seconds_per_question"] == 120 and interview["status"] == "running"
        assert {q["kind"] for q in interview["questions"]} == {"conceptual", "numeric"}
        for question in interview["questions"]:
            if question["kind"] == "numeric":
                inputs = question["question"]["inputs"]
                body = {
                    "position": question["position"],
                    "answer": misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, inputs),
                }
            else:
                body = {"position": question["position"], "covered": list(range(len(question["key_points"])))}
            answered = study.post(f"/api/v1/mock-interviews/{interview['id']}/answers", json=body)
            assert answered.status_code == 200, answered.text
            assert answered.json()["result"]["seconds"] >= 0
        done = study.get(f"/api/v1/mock-interviews/{interview['id']}").json()
        assert done["status"] == "finished"
        report = done["report"]
        assert report["answered"] == 3 and len(report["seconds_per_question"]) == 3
        assert [m["id"] for m in report["misconceptions"]] == [MISCONCEPTION]
        # The misconception's later field is right given its wrong first one (error carried forward):
        # partial credit, so Hard (reviews.rating_for_grade).
        assert [(r["card_id"], r["rating"]) for r in report["reviews"]] == [("a-num", 2)]
        refused = study.post(
            f"/api/v1/mock-interviews/{interview['id']}/answers", json={"position": 0, "skipped": True}
        )
        assert refused.status_code == 409 and refused.json()["type"] == "Conflict"

        # The misconception opened a remediation drill, listed (not yet due) for the study page.
        (drill,) = study.get("/api/v1/remediations").json()["items"]
        assert drill["misconception"]["id"] == MISCONCEPTION and drill["is_due"] is False
        assert drill["card"]["id"] == "a-num" and drill["round"] == 1
        question = drill["question"]
        graded = study.post(
            f"/api/v1/questions/{question['id']}/answers",
            json={"answer": right_answer(NUMERIC_GENERATOR, question["inputs"])},
        )
        assert graded.status_code == 200 and graded.json()["review"] is None  # a drill reviews no card
        assert study.get("/api/v1/remediations").json()["items"] == []
        stats = study.get("/api/v1/stats").json()["remediation"]
        assert (stats["named"], stats["cleared"], stats["open"]) == (1, 1, 0)

    def test_finish_early_and_validation(self, study: httpx.Client) -> None:
        interview = _start(study, length=2, seconds_per_question=30)
        bad = study.post(
            f"/api/v1/mock-interviews/{interview['id']}/answers", json={"position": 1, "skipped": True}
        )
        assert bad.status_code == 409
        finished = study.post(f"/api/v1/mock-interviews/{interview['id']}/finish")
        assert finished.status_code == 200 and finished.json()["report"]["answered"] == 0
        assert study.post("/api/v1/mock-interviews", json={"length": 0}).status_code == 422
        assert study.post("/api/v1/mock-interviews", json={"seconds_per_question": 5}).status_code == 422

    def test_another_users_interview_is_a_404(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        interview = _start(study, length=1)
        other = make_study_client()
        assert other.get(f"/api/v1/mock-interviews/{interview['id']}").status_code == 404
        answered = other.post(
            f"/api/v1/mock-interviews/{interview['id']}/answers", json={"position": 0, "skipped": True}
        )
        assert answered.status_code == 404
        assert other.get("/api/v1/mock-interviews/nope").status_code == 404
        assert loopback.get(f"{study.base_url}/api/v1/remediations").status_code == 401
