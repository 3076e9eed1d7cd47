"""Stats over HTTP: shape, the days parameter, and only the caller's reviews."""

from __future__ import annotations

from collections.abc import Callable

import httpx


class TestStats:
    def test_shape_after_some_reviews(self, study: httpx.Client) -> None:
        study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3})
        study.post("/api/v1/reviews", json={"card_id": "b-one", "rating": 4})
        response = study.get("/api/v1/stats", params={"days": 7})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "reviews_per_day",
            "retention_per_day",
            "retention_overall",
            "forecast",
            "decks",
            "streak",
            "numeric",
            "remediation",
        }
        assert len(body["reviews_per_day"]) == len(body["retention_per_day"]) == 7
        assert body["reviews_per_day"][-1]["count"] == 2 and body["streak"] == 1
        assert body["retention_overall"] is None  # no review-state card was reviewed yet
        assert len(body["forecast"]) == 30 and body["forecast"][0]["due"] >= 1
        decks = {d["deck"]: d for d in body["decks"]}
        assert decks["alpha"]["new"] == 3 and decks["alpha"]["learning"] == 1
        assert decks["beta"]["new"] == 2 and decks["beta"]["review"] + decks["beta"]["mature"] == 1
        assert body["numeric"] == []
        assert body["remediation"] == {"named": 0, "cleared": 0, "open": 0, "persistent": []}

    def test_days_is_bounded(self, study: httpx.Client) -> None:
        assert study.get("/api/v1/stats", params={"days": 365}).status_code == 200
        for days in (0, 366):
            response = study.get("/api/v1/stats", params={"days": days})
            assert response.status_code == 422 and response.json()["detail"].startswith(
                "query parameter 'days'"
            )

    def test_only_the_callers_reviews_count(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3})
        other = make_study_client().get("/api/v1/stats").json()
        assert other["reviews_per_day"][-1]["count"] == 0 and other["streak"] == 0
        assert {d["deck"]: d["new"] for d in other["decks"]} == {"alpha": 4, "beta": 3}
