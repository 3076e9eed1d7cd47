"""Reviews done in Anki come back: a package built with the official client (our export imported,
studied through Anki's scheduler, exported with scheduling) is imported on both backends. Every revlog
row of a dlquiz note becomes a review, a second import changes nothing, and every card's stored state
is still the replay of its merged log."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card, CardState, ReviewLog
from service.errors import InvalidSubmission, PayloadTooLarge
from service.interop import anki_export, anki_import, anki_package
from service.study import reviews
from service.study.schemas import ReviewCreate
from tests.anki_client import export_package, import_package, new_collection, study_deck
from tests.service.study.test_reviews import assert_matches_replay, assert_progress_is_exact

LIMIT = 8 << 20


@dataclass(frozen=True)
class AnkiRevlog:
    revlog_id: int
    card_id: str
    ease: int
    time_ms: int


@dataclass(frozen=True)
class StudiedPackage:
    data: bytes
    revlog: list[AnkiRevlog]  # rows of dlquiz notes only


def _studied_package(
    session: Session,
    folder: Path,
    *,
    eases: dict[str, list[int]],
    legacy: bool = False,
    colpkg: bool = False,
    foreign_note: bool = False,
    reschedule: bool = False,
) -> StudiedPackage:
    """Our export, studied in Anki deck by deck with these buttons, exported with scheduling."""
    export = folder / "dlquiz.apkg"
    export.write_bytes(anki_export.export_anki(session, deck=None))
    collection = new_collection(folder / "anki")
    closed = False
    try:
        import_package(collection, export)
        if foreign_note:
            note = collection.new_note(collection.models.by_name("Basic"))
            note["Front"], note["Back"] = "Capital of France?", "Paris"
            collection.add_note(note, collection.decks.id_for_name("Default"))
            eases = {"Default": [3], **eases}
        for deck, buttons in eases.items():
            study_deck(collection, deck if deck == "Default" else f"dlquiz::{deck}", buttons)
        if reschedule:
            card_id = collection.find_cards('"dlquiz id:a-one"')[0]
            collection.sched.set_due_date([card_id], "5")
        rows = collection.db.all(
            "SELECT r.id, n.flds, r.ease, r.time FROM revlog r JOIN cards c ON c.id = r.cid "
            "JOIN notes n ON n.id = c.nid ORDER BY r.id"
        )
        revlog = [
            AnkiRevlog(revlog_id, fields.split("\x1f")[5], ease, time_ms)
            for revlog_id, fields, ease, time_ms in rows
            if fields.count("\x1f") == 5 and ease > 0
        ]
        path = folder / ("studied.colpkg" if colpkg else "studied.apkg")
        if colpkg:
            collection.export_collection_package(str(path), include_media=False, legacy=legacy)
            closed = True
        else:
            export_package(collection, path, legacy=legacy)
    finally:
        if not closed:
            collection.close()
    return StudiedPackage(path.read_bytes(), revlog)


def _import(session: Session, user_id: int, data: bytes) -> anki_import.AnkiImportRead:
    now = datetime.now(UTC) + timedelta(minutes=5)
    return anki_import.import_anki_reviews(session, user_id=user_id, data=data, max_bytes=LIMIT, now=now)


def _log_dump(session: Session, user_id: int) -> list[tuple[object, ...]]:
    rows = session.scalars(select(ReviewLog).where(ReviewLog.user_id == user_id).order_by(ReviewLog.id))
    return [
        (r.id, r.card_key, r.number, r.rating, r.reviewed_at, r.after_state, r.after_due, r.undone)
        for r in rows
    ]


def _state_dump(session: Session, user_id: int) -> list[tuple[object, ...]]:
    rows = session.scalars(select(CardState).where(CardState.user_id == user_id).order_by(CardState.card_key))
    return [(r.card_key, r.state, r.stability, r.difficulty, r.due, r.reps) for r in rows]


def _assert_invariants(session: Session, user_id: int, content: dict[str, Card]) -> None:
    for card in content.values():
        assert_matches_replay(session, user_id, card)
    assert_progress_is_exact(session, user_id)


class TestImportAnkiReviews:
    def test_every_revlog_row_becomes_a_review_and_states_are_the_replay(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int], tmp_path: Path
    ) -> None:
        user = make_user()
        package = _studied_package(
            db_session, tmp_path, eases={"alpha": [3, 1, 3, 4, 3, 3, 2, 3], "beta": [4, 3]}
        )
        report = _import(db_session, user, package.data)
        studied = {row.card_id for row in package.revlog}
        assert report.model_dump() == {
            "imported": len(package.revlog),
            "duplicate": 0,
            "skipped_notes": 0,
            "ignored": 0,
            "cards": len(studied),
        }
        keys = {card.key: card_id for card_id, card in content.items()}
        logs = db_session.scalars(
            select(ReviewLog).where(ReviewLog.user_id == user).order_by(ReviewLog.anki_revlog_id)
        ).all()
        assert [(log.anki_revlog_id, keys[log.card_key], log.rating, log.duration_ms) for log in logs] == [
            (row.revlog_id, row.card_id, row.ease, row.time_ms) for row in package.revlog
        ]
        assert all(log.source == "anki" for log in logs)
        assert [int(log.reviewed_at.timestamp() * 1000) for log in logs] == [
            row.revlog_id for row in package.revlog
        ]
        _assert_invariants(db_session, user, content)

    def test_importing_the_same_file_twice_changes_nothing(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int], tmp_path: Path
    ) -> None:
        user, other = make_user(), make_user()
        package = _studied_package(db_session, tmp_path, eases={"alpha": [3, 3, 1, 3]})
        first = _import(db_session, user, package.data)
        logs, states = _log_dump(db_session, user), _state_dump(db_session, user)
        again = _import(db_session, user, package.data)
        assert again.model_dump() == {
            **first.model_dump(),
            "imported": 0,
            "duplicate": first.imported,
            "cards": 0,
        }
        assert _log_dump(db_session, user) == logs and _state_dump(db_session, user) == states
        # Deduplication is per user: another account imports the same file in full.
        assert _import(db_session, other, package.data).imported == first.imported
        _assert_invariants(db_session, user, content)

    def test_anki_reviews_merge_with_dlquiz_reviews_in_time_order(
        self,
        db_session: Session,
        content: dict[str, Card],
        make_user: Callable[[], int],
        settings: Settings,
        tmp_path: Path,
    ) -> None:
        user = make_user()
        package = _studied_package(db_session, tmp_path, eases={"alpha": [3, 3, 3, 3, 3, 3]})
        first_anki = min(row.revlog_id for row in package.revlog)
        before_anki = datetime.fromtimestamp(first_anki / 1000, UTC) - timedelta(days=2)
        after_anki = datetime.now(UTC) + timedelta(minutes=1)
        for card_id, at in (("a-one", before_anki), ("a-one", after_anki), ("a-two", after_anki)):
            body = ReviewCreate(card_id=card_id, rating=3)
            reviews.submit_review(
                db_session, user_id=user, body=body, idempotency_key=None, settings=settings, now=at
            )
        report = _import(db_session, user, package.data)
        assert report.imported == len(package.revlog)
        _assert_invariants(db_session, user, content)
        history = db_session.scalars(
            select(ReviewLog)
            .where(ReviewLog.user_id == user, ReviewLog.card_key == content["a-one"].key)
            .order_by(ReviewLog.number)
        ).all()
        times = [log.reviewed_at for log in history]
        assert times == sorted(times) and [log.number for log in history] == list(range(1, len(history) + 1))
        assert (
            history[0].source == "self"
            and history[-1].source == "self"
            and history[-1].reviewed_at == after_anki
        )
        # Undo still takes back the latest review (a dlquiz one, after the Anki ones) exactly.
        undone = reviews.undo_last_review(
            db_session, user_id=user, idempotency_key=None, settings=settings, now=after_anki
        )
        assert undone.reviewed_at == after_anki
        _assert_invariants(db_session, user, content)

    def test_other_notes_are_skipped_and_manual_reschedules_ignored(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int], tmp_path: Path
    ) -> None:
        user = make_user()
        package = _studied_package(
            db_session, tmp_path, eases={"alpha": [3, 3]}, foreign_note=True, reschedule=True
        )
        report = _import(db_session, user, package.data)
        assert report.skipped_notes == 1 and report.ignored == 1
        assert report.imported == len(package.revlog)
        _assert_invariants(db_session, user, content)

    @pytest.mark.parametrize(
        ("legacy", "colpkg"), [(True, False), (False, True)], ids=["legacy-apkg", "colpkg"]
    )
    def test_older_packages_and_whole_collections_are_read(
        self,
        db_session: Session,
        content: dict[str, Card],
        make_user: Callable[[], int],
        tmp_path: Path,
        legacy: bool,
        colpkg: bool,
    ) -> None:
        user = make_user()
        package = _studied_package(
            db_session, tmp_path, eases={"beta": [3, 1, 3]}, legacy=legacy, colpkg=colpkg
        )
        assert _import(db_session, user, package.data).imported == len(package.revlog) > 0
        _assert_invariants(db_session, user, content)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _sqlite_bytes(statements: list[str]) -> bytes:
    connection = sqlite3.connect(":memory:")
    for statement in statements:
        connection.execute(statement)
    data = connection.serialize()
    connection.close()
    return data


class TestBadPackages:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"hello", "the file is not a zip archive"),
            (_zip({"media": b"{}"}), "it holds no collection"),
            (
                _zip({"collection.anki21": b"not a database at all"}),
                "the collection is not an SQLite database",
            ),
            (
                _zip({"collection.anki2": _sqlite_bytes(["CREATE TABLE x (y)"])}),
                "the collection cannot be read",
            ),
            (_zip({"collection.anki21b": b"\x28\xb5\x2f\xfd garbage"}), "collection.anki21b is damaged"),
        ],
        ids=["not-zip", "no-collection", "not-sqlite", "not-anki", "bad-zstd"],
    )
    def test_unreadable_files_say_why(self, data: bytes, message: str) -> None:
        with pytest.raises(InvalidSubmission, match=f"^not a readable Anki package: {message}"):
            anki_package.read_package(data, max_bytes=LIMIT)

    def test_size_limits_hold_for_the_upload_and_for_what_it_unpacks_to(self) -> None:
        with pytest.raises(PayloadTooLarge, match="the package is larger than the limit of 1 MB"):
            anki_package.read_package(b"x" * ((1 << 20) + 1), max_bytes=1 << 20)
        # A tiny zip that unpacks to 64 MB stops at the limit, whatever its header claims.
        bomb = _zip({"collection.anki2": b"\0" * (64 << 20)})
        assert len(bomb) < 1 << 20
        with pytest.raises(PayloadTooLarge, match="the unpacked collection is larger than the limit of 1 MB"):
            anki_package.read_package(bomb, max_bytes=1 << 20)
