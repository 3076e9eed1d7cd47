"""Exports and the Anki import over HTTP, against the study server (two uvicorn workers) on both
backends; the Anki package is made by the official client from the server's own export."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.db.models import Card
from service.db.session import make_engine
from tests import loopback
from tests.anki_client import export_package, import_package, new_collection, study_deck
from tests.service.api.conftest import StudyServer
from tests.service.study.test_reviews import assert_matches_replay, assert_progress_is_exact

REVIEWS_HEADER = "card_id,review_time,review_rating,review_state,review_duration"


@pytest.fixture(scope="module")
def database(study_server: StudyServer) -> Iterator[Engine]:
    engine = make_engine(study_server.database_url)
    yield engine
    engine.dispose()


class TestExports:
    def test_anki_package_of_all_decks_or_one(self, study: httpx.Client) -> None:
        response = study.get("/api/v1/export/anki")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/apkg"
        assert response.headers["content-disposition"] == 'attachment; filename="dlquiz-all.apkg"'
        assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == ["collection.anki2", "media"]
        one = study.get("/api/v1/export/anki", params={"deck": "beta"})
        assert one.status_code == 200 and len(one.content) < len(response.content)
        missing = study.get("/api/v1/export/anki", params={"deck": "nope"})
        assert missing.status_code == 404
        assert missing.json() == {"type": "NotFound", "detail": "no deck with id 'nope'"}

    def test_cards_as_csv_and_json(self, study: httpx.Client) -> None:
        as_csv = study.get("/api/v1/export/cards.csv")
        assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        as_json = study.get("/api/v1/export/cards.json")
        assert as_json.status_code == 200
        cards = as_json.json()
        assert [row["id"] for row in rows] == [card["id"] for card in cards]
        assert len(cards) == 7 and set(cards[0]) == {
            "id", "deck", "question", "answer", "detail", "tags", "source", "generator"
        }  # fmt: skip
        assert study.get("/api/v1/export/cards.json", params={"deck": "beta"}).json() == cards[4:]

    def test_review_log_is_the_callers_only(
        self, study: httpx.Client, make_study_client: Callable[[], httpx.Client]
    ) -> None:
        other = make_study_client()
        assert study.post("/api/v1/reviews", json={"card_id": "a-one", "rating": 3}).status_code == 201
        assert other.post("/api/v1/reviews", json={"card_id": "b-one", "rating": 1}).status_code == 201
        mine = study.get("/api/v1/me/reviews.csv")
        assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/csv")
        lines = mine.text.splitlines()
        assert lines[0] == REVIEWS_HEADER and len(lines) == 2 and lines[1].startswith("a-one,")
        assert other.get("/api/v1/me/reviews.csv").text.splitlines()[1].startswith("b-one,")
        anonymous = loopback.get(f"{study.base_url}/api/v1/me/reviews.csv")
        assert anonymous.status_code == 401


class TestImportAnki:
    def test_reviews_done_in_anki_come_back_once(
        self, study: httpx.Client, study_server: StudyServer, database: Engine, tmp_path: Path
    ) -> None:
        export = tmp_path / "dlquiz.apkg"
        export.write_bytes(study.get("/api/v1/export/anki").content)
        collection = new_collection(tmp_path / "anki")
        try:
            import_package(collection, export)
            answered = study_in_anki = study_deck(collection, "dlquiz::beta", [3, 1, 3, 3, 4])
            answered += study_deck(collection, "dlquiz::alpha", [3, 3])
            export_package(collection, tmp_path / "studied.apkg")
        finally:
            collection.close()
        assert study_in_anki > 0
        files = {
            "file": ("studied.apkg", (tmp_path / "studied.apkg").read_bytes(), "application/octet-stream")
        }
        first = study.post("/api/v1/import/anki", files=files)
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["imported"] == answered and body["duplicate"] == 0
        assert body["skipped_notes"] == 0 and body["ignored"] == 0 and body["cards"] > 0
        again = study.post("/api/v1/import/anki", files=files).json()
        assert again == {**body, "imported": 0, "duplicate": answered, "cards": 0}
        assert len(study.get("/api/v1/me/reviews.csv").text.splitlines()) == 1 + answered

        user_id = study.get("/api/v1/me").json()["id"]
        with Session(database) as session:
            for card in session.scalars(select(Card)):
                assert_matches_replay(session, user_id, card)
            assert_progress_is_exact(session, user_id)

    def test_bad_file_is_422_and_no_token_is_401(self, study: httpx.Client) -> None:
        files = {"file": ("notes.txt", b"just text", "text/plain")}
        response = study.post("/api/v1/import/anki", files=files)
        assert response.status_code == 422
        assert response.json() == {
            "type": "InvalidSubmission",
            "detail": "not a readable Anki package: the file is not a zip archive (export an .apkg or "
            ".colpkg from Anki)",
        }
        missing = study.post("/api/v1/import/anki")
        assert missing.status_code == 422 and "file" in missing.json()["detail"]
        anonymous = loopback.post(f"{study.base_url}/api/v1/import/anki", files=files)
        assert anonymous.status_code == 401
