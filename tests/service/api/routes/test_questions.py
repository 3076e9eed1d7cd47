"""Generators and numeric questions over HTTP: create, answer, misconceptions, malformed answers."""

from __future__ import annotations

from typing import Any

import httpx

import verifier


def _create(client: httpx.Client, generator_id: str, seed: int | None = None) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/generators/{generator_id}/questions", json={"seed": seed} if seed is not None else None
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestListGenerators:
    def test_lists_the_registry(self, client: httpx.Client) -> None:
        items = client.get("/api/v1/generators").json()["items"]
        assert [g["id"] for g in items] == [g.id for g in verifier.generators()]
        for item in items:
            spec = verifier.get(item["id"]).answer_fields
            assert [f["name"] for f in item["answer_fields"]] == list(spec)
            assert [tuple(f["shape"]) for f in item["answer_fields"]] == [s.shape for s in spec.values()]


class TestCreateQuestion:
    def test_same_seed_same_inputs_and_prompt_with_mathml(self, client: httpx.Client) -> None:
        for generator in verifier.generators():
            first = _create(client, generator.id, seed=7)
            second = _create(client, generator.id, seed=7)
            assert first["id"] != second["id"]
            assert first["inputs"] == second["inputs"] == generator.generate(7).inputs_json()
            assert first["prompt"]["markdown"] == generator.generate(7).prompt
            assert "<script" not in first["prompt"]["html"] and first["attempts"] == 0

    def test_without_seed_the_server_draws_one(self, client: httpx.Client) -> None:
        question = _create(client, "bagging.bootstrap")
        assert isinstance(question["seed"], int) and question["seed"] >= 0

    def test_unknown_generator_is_404(self, client: httpx.Client) -> None:
        response = client.post("/api/v1/generators/no.such/questions", json={})
        assert response.status_code == 404 and "no.such" in response.json()["detail"]

    def test_negative_seed_is_422_naming_seed(self, client: httpx.Client) -> None:
        response = client.post("/api/v1/generators/bagging.bootstrap/questions", json={"seed": -1})
        assert response.status_code == 422 and "seed" in response.json()["detail"]


class TestAnswerQuestion:
    def test_right_answer_is_correct_and_comes_with_the_solution(self, client: httpx.Client) -> None:
        for generator in verifier.generators():
            question = _create(client, generator.id, seed=3)
            answer = verifier.to_jsonable(generator.solve(question["inputs"]))
            response = client.post(f"/api/v1/questions/{question['id']}/answers", json={"answer": answer})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["grade"]["correct"] and body["grade"]["score"] == 1.0 and body["number"] == 1
            assert [s["name"] for s in body["solution"]] == [
                s.name for s in generator.explain(question["inputs"])
            ]

    def test_misconception_is_named(self, client: httpx.Client) -> None:
        for generator in verifier.generators():
            question = _create(client, generator.id, seed=11)
            misconception = next(m for m in generator.misconceptions if m.applies_to(question["inputs"]))
            wrong = verifier.to_jsonable(misconception.answer(question["inputs"]))
            body = client.post(f"/api/v1/questions/{question['id']}/answers", json={"answer": wrong}).json()
            assert not body["grade"]["correct"]
            assert body["grade"]["misconception"] == misconception.id
            assert body["grade"]["feedback"] == misconception.feedback

    def test_malformed_answer_is_422_and_not_an_attempt(self, client: httpx.Client) -> None:
        question = _create(client, "bagging.bootstrap", seed=1)
        url = f"/api/v1/questions/{question['id']}/answers"
        bad = client.post(url, json={"answer": {"missing_fraction": [1, 2], "unique_fraction": 0.5}})
        assert bad.status_code == 422 and "missing_fraction" in bad.json()["detail"]
        missing = client.post(url, json={"answer": {"missing_fraction": 0.5}})
        assert missing.status_code == 422 and "unique_fraction" in missing.json()["detail"]
        assert client.get(f"/api/v1/questions/{question['id']}").json()["attempts"] == 0
        ok = client.post(url, json={"answer": {"missing_fraction": 0.5, "unique_fraction": 0.5}})
        assert ok.status_code == 200 and ok.json()["number"] == 1

    def test_unknown_question_is_404(self, client: httpx.Client) -> None:
        response = client.post("/api/v1/questions/deadbeef/answers", json={"answer": {}})
        assert response.status_code == 404
