"""The caller's account and settings over HTTP: defaults, partial updates, 422s naming the field."""

from __future__ import annotations

import httpx

import verifier

DEFAULTS = {
    "desired_retention": 0.9,
    "new_cards_per_day": 20,
    "maximum_interval": 36500,
    "timezone": "UTC",
    "day_start_hour": 4,
    "learning_steps": [60, 600],
    "relearning_steps": [600],
    "calculator": True,
    "interview_date": None,
    "target_retention_on_the_day": 0.9,
    "daily_cap": None,
    "load_balancing": False,
    "easy_days": [],
}


class TestMe:
    def test_me_is_the_token_owner(self, study: httpx.Client) -> None:
        body = study.get("/api/v1/me").json()
        assert set(body) == {"id", "username", "created_at"} and body["username"].startswith("user-")


class TestSettings:
    def test_defaults(self, study: httpx.Client) -> None:
        assert study.get("/api/v1/me/settings").json() == DEFAULTS

    def test_patch_changes_only_what_is_sent_and_persists(self, study: httpx.Client) -> None:
        response = study.patch(
            "/api/v1/me/settings", json={"timezone": "Europe/Berlin", "desired_retention": 0.85}
        )
        assert response.status_code == 200
        expected = {**DEFAULTS, "timezone": "Europe/Berlin", "desired_retention": 0.85}
        assert response.json() == expected
        assert study.get("/api/v1/me/settings").json() == expected
        study.patch("/api/v1/me/settings", json={"day_start_hour": 0, "new_cards_per_day": 0})
        assert study.get("/api/v1/me/settings").json() == {
            **expected,
            "day_start_hour": 0,
            "new_cards_per_day": 0,
        }

    def test_invalid_values_are_422_naming_the_field(self, study: httpx.Client) -> None:
        cases = {
            "desired_retention": 0.5,
            "new_cards_per_day": -1,
            "maximum_interval": 0,
            "timezone": "Mars/Olympus",
            "day_start_hour": 24,
            "learning_steps": [0],
            "calculator": "no",
        }
        for field, value in cases.items():
            response = study.patch("/api/v1/me/settings", json={field: value})
            assert response.status_code == 422, field
            assert response.json()["detail"].startswith(f"body field '{field}"), response.text
        null = study.patch("/api/v1/me/settings", json={"timezone": None})
        assert null.status_code == 422 and "body field 'timezone'" in null.json()["detail"]
        unknown = study.patch("/api/v1/me/settings", json={"colour": "blue"})
        assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
        assert study.get("/api/v1/me/settings").json() == DEFAULTS

    def test_whiteboard_mode_makes_drill_questions_by_hand(self, study: httpx.Client) -> None:
        response = study.patch("/api/v1/me/settings", json={"calculator": False})
        assert response.status_code == 200 and response.json() == {**DEFAULTS, "calculator": False}
        created = study.post("/api/v1/generators/activations.label_smoothing/questions", json={"seed": 4})
        assert created.status_code == 201, created.text
        body = created.json()
        hand = verifier.get("activations.label_smoothing").generate(4, calculator=False)
        assert body["calculator"] is False and body["prompt"]["markdown"] == hand.prompt
        assert body["inputs"] == hand.inputs_json()
        assert study.get(f"/api/v1/questions/{body['id']}").json()["calculator"] is False
        chosen = study.post(
            "/api/v1/generators/activations.label_smoothing/questions", json={"seed": 4, "calculator": True}
        ).json()
        assert chosen["calculator"] is True
        assert chosen["inputs"] == verifier.get("activations.label_smoothing").generate(4).inputs_json()
        study.patch("/api/v1/me/settings", json={"calculator": True})
