"""POST /me/optimize and GET /me/simulate against real uvicorn servers on both backends, and
``dlquiz optimize --user`` on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.service.api.conftest import StudyServer
from tests.service.study import synthetic

DLQUIZ = str(Path(sys.executable).parent / "dlquiz")


class TestOptimize:
    def test_too_few_reviews_is_409_saying_how_many_more(self, user_client: httpx.Client) -> None:
        response = user_client.post("/api/v1/me/optimize")
        assert response.status_code == 409
        assert response.json()["type"] == "Conflict"
        assert "at least 8 more needed" in response.json()["detail"]

    def test_needs_a_token(self, client: httpx.Client) -> None:
        assert client.post("/api/v1/me/optimize").status_code == 401

    def test_fits_the_log_then_the_cli_does_the_same(
        self, api_server: StudyServer, user_client: httpx.Client
    ) -> None:
        me = user_client.get("/api/v1/me").json()
        count = synthetic.write_log(api_server.database_url, me["id"])
        response = user_client.post("/api/v1/me/optimize")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["reviews"] == count and body["training_items"] >= 8 and body["applied"] is True
        assert body["after"]["log_loss"] < body["before"]["log_loss"]
        assert len(body["parameters"]) == 21

        result = subprocess.run(
            [DLQUIZ, "optimize", "--user", me["username"].upper()],
            capture_output=True,
            text=True,
            env={**os.environ, "DLQUIZ_DATABASE_URL": api_server.database_url},
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "log loss" in result.stdout and f"training reviews of {count}" in result.stdout


class TestSimulate:
    def test_reviews_per_day_at_each_retention(self, user_client: httpx.Client) -> None:
        response = user_client.get("/api/v1/me/simulate", params={"retention": "0.85,0.9,0.95"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["days"] == 90 and body["deck_size"] > 100 and body["new_cards_per_day"] == 20
        assert [r["retention"] for r in body["retentions"]] == [0.85, 0.9, 0.95]
        assert all(len(r["reviews_per_day"]) == 90 for r in body["retentions"])
        assert body["retentions"][0]["mean_90"] < body["retentions"][2]["mean_90"]
        default = user_client.get("/api/v1/me/simulate").json()
        assert [r["retention"] for r in default["retentions"]] == [0.85, 0.9, 0.95]

    def test_bad_retention_is_422_naming_the_parameter(self, user_client: httpx.Client) -> None:
        for value in ["0.5", "x", "0.9,,0.8"]:
            response = user_client.get("/api/v1/me/simulate", params={"retention": value})
            assert response.status_code == 422
            assert response.json()["detail"].startswith("query parameter 'retention'")
