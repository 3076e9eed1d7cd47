"""The interview date over HTTP: settings validation (422 naming the field) and GET /readiness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx


def _today() -> datetime:
    return datetime.now(UTC)


class TestInterviewSettings:
    def test_a_past_date_and_an_out_of_range_target_are_422_naming_the_field(
        self, study: httpx.Client
    ) -> None:
        past = (_today() - timedelta(days=3)).date().isoformat()
        response = study.patch("/api/v1/me/settings", json={"interview_date": past})
        assert response.status_code == 422
        assert response.json()["detail"].startswith("body field 'interview_date'")
        for target in (0.5, 0.99, 2):
            response = study.patch("/api/v1/me/settings", json={"target_retention_on_the_day": target})
            assert response.status_code == 422
            assert "target_retention_on_the_day" in response.json()["detail"]
        response = study.patch("/api/v1/me/settings", json={"interview_date": "not a date"})
        assert response.status_code == 422 and "interview_date" in response.json()["detail"]

    def test_set_read_and_clear(self, study: httpx.Client) -> None:
        day = (_today() + timedelta(days=10)).date().isoformat()
        body = {"interview_date": day, "target_retention_on_the_day": 0.93, "daily_cap": 120}
        response = study.patch("/api/v1/me/settings", json=body)
        assert response.status_code == 200
        read = response.json()
        assert {name: read[name] for name in body} == body
        assert read["load_balancing"] is False and read["easy_days"] == []
        cleared = study.patch("/api/v1/me/settings", json={"interview_date": None, "daily_cap": None}).json()
        assert cleared["interview_date"] is None and cleared["daily_cap"] is None
        assert cleared["target_retention_on_the_day"] == 0.93


class TestReadiness:
    def test_per_deck_and_overall_figures(self, study: httpx.Client) -> None:
        study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 4})
        day = (_today() + timedelta(days=10)).date().isoformat()
        study.patch("/api/v1/me/settings", json={"interview_date": day})
        response = study.get("/api/v1/readiness")
        assert response.status_code == 200
        body = response.json()
        assert body["interview_date"] == day and body["days_left"] in (10, 11)
        assert body["target"] == 0.9 and body["daily_cap"] == 50 and body["can_reach"] is True
        decks = {d["deck"]: d for d in body["decks"]}
        assert list(decks) == ["alpha", "beta"]
        assert decks["alpha"]["cards"] == 4 and decks["alpha"]["unseen"] == 3
        assert 0 < decks["alpha"]["predicted_recall"] < 0.25  # one card of four, seen once
        assert decks["beta"]["predicted_recall"] == 0 and decks["beta"]["unseen"] == 3
        overall = body["overall"]
        assert overall["cards"] == 7 and overall["unseen"] == 6
        assert overall["reviews_per_day_needed"] >= 2  # 6 new cards x 3 reviews over 10 or 11 days

    def test_needs_a_token(self, client: httpx.Client) -> None:
        assert client.get("/api/v1/readiness").status_code == 401
