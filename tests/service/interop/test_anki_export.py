"""Anki export, opened with the official Anki client: every card is a note with the right fields and
deck, math comes out as MathJax, and a re-export after an edit updates the note instead of adding one."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import verifier
from service.content.loader import sync_content
from service.content.parser import parse_content_dir
from service.content.render import render_markdown
from service.errors import NotFound
from service.interop import anki_export
from tests.anki_client import import_package, new_collection, notes_by_id
from tests.factories import CardSpec, DeckSpec, write_decks
from tests.service.study.conftest import NUMERIC_GENERATOR, T0, sync


def _decks(*, edited: bool = False) -> list[DeckSpec]:
    return [
        DeckSpec(
            "alpha",
            cards=[
                CardSpec(
                    "a-math",
                    front="Why is $a < b$ here?",
                    back="Because $$\\frac{a}{b} < 1$$ holds." + (" Edited." if edited else ""),
                    detail="See **this** & that.",
                    tags=("math", "testing"),
                    source="DLB 5.2 & more",
                ),
                CardSpec("a-num", generator=NUMERIC_GENERATOR),
            ],
        ),
        DeckSpec("beta", cards=[CardSpec("b-one")]),
    ]


def _write(package: bytes, path: Path) -> Path:
    path.write_bytes(package)
    return path


class TestNoteFields:
    def test_guid_and_deck_ids_are_stable_functions_of_the_ids(self) -> None:
        assert anki_export.note_guid("a-one") == anki_export.note_guid("a-one")
        assert anki_export.note_guid("a-one") != anki_export.note_guid("a-two")
        assert anki_export.deck_id("alpha") == anki_export.deck_id("alpha") != anki_export.deck_id("beta")
        assert anki_export.MODEL.model_id == anki_export.MODEL_ID

    def test_package_is_a_zip_with_a_collection(self, db_session: Session, tmp_path: Path) -> None:
        sync(db_session, tmp_path / "content", _decks())
        package = anki_export.export_anki(db_session, deck=None)
        assert zipfile.ZipFile(io.BytesIO(package)).namelist() == ["collection.anki2", "media"]
        with pytest.raises(NotFound, match="no deck with id 'nope'"):
            anki_export.export_anki(db_session, deck="nope")


class TestRealClient:
    def test_every_card_is_a_note_with_its_fields_and_deck(self, db_session: Session, tmp_path: Path) -> None:
        sync(db_session, tmp_path / "content", _decks())
        package = _write(anki_export.export_anki(db_session, deck=None), tmp_path / "all.apkg")
        collection = new_collection(tmp_path / "anki")
        try:
            import_package(collection, package)
            notes = notes_by_id(collection)
            model = collection.models.get(collection.get_note(collection.find_notes("")[0]).mid)
        finally:
            collection.close()
        assert model is not None and model["id"] == anki_export.MODEL_ID
        assert [field["name"] for field in model["flds"]] == list(anki_export.FIELDS)
        assert set(notes) == {"a-math", "a-num", "b-one"}
        assert {card_id: note["deck"] for card_id, note in notes.items()} == {
            "a-math": "dlquiz::alpha",
            "a-num": "dlquiz::alpha",
            "b-one": "dlquiz::beta",
        }
        assert notes["a-math"] == {
            "Front": "Why is \\(a &lt; b\\) here?",
            "Back": "<p>Because \\[\\frac{a}{b} &lt; 1\\] holds.</p>",
            "Detail": "<p>See <strong>this</strong> &amp; that.</p>",
            "Source": "DLB 5.2 &amp; more",
            "Tags": "math, testing",
            "dlquiz id": "a-math",
            "guid": anki_export.note_guid("a-math"),
            "deck": "dlquiz::alpha",
        }

    def test_numeric_card_is_one_stated_variant_with_its_worked_solution(
        self, db_session: Session, tmp_path: Path
    ) -> None:
        sync(db_session, tmp_path / "content", _decks())
        package = _write(anki_export.export_anki(db_session, deck="alpha"), tmp_path / "alpha.apkg")
        collection = new_collection(tmp_path / "anki")
        try:
            import_package(collection, package)
            notes = notes_by_id(collection)
        finally:
            collection.close()
        assert set(notes) == {"a-math", "a-num"}
        generator = verifier.get(NUMERIC_GENERATOR)
        question = generator.generate(anki_export.NUMERIC_SEED)
        prompt = render_markdown(question.prompt, math="mathjax").html.strip()
        front, back = notes["a-num"]["Front"], notes["a-num"]["Back"]
        assert front.startswith("What is a test card?") and prompt in front and "\\(" in prompt
        for step in generator.explain(question.inputs):
            assert render_markdown(step.text, math="mathjax").html.strip() in back
        assert (
            f"dlquiz poses a fresh variant of this question each time; this is the variant with seed {anki_export.NUMERIC_SEED}"
            in back
        )

    def test_a_re_export_after_an_edit_updates_the_note(self, db_session: Session, tmp_path: Path) -> None:
        sync(db_session, tmp_path / "content", _decks())
        first = _write(anki_export.export_anki(db_session, deck=None), tmp_path / "first.apkg")
        later = T0 + timedelta(hours=1)
        edited = parse_content_dir(write_decks(tmp_path / "content", _decks(edited=True)))
        sync_content(db_session, edited, now=later)
        # An export of unchanged content is the same package: re-importing it touches nothing.
        assert anki_export.export_anki(db_session, deck="beta") == anki_export.export_anki(
            db_session, deck="beta"
        )
        second = _write(anki_export.export_anki(db_session, deck=None), tmp_path / "second.apkg")
        collection = new_collection(tmp_path / "anki")
        try:
            import_package(collection, first)
            before = notes_by_id(collection)
            import_package(collection, second)
            after = notes_by_id(collection)
            count = collection.note_count()
        finally:
            collection.close()
        assert count == 3
        assert after["a-math"]["guid"] == before["a-math"]["guid"] == anki_export.note_guid("a-math")
        assert after["a-math"]["Back"].endswith("holds. Edited.</p>")
        assert not before["a-math"]["Back"].endswith("Edited.</p>")
        assert {k: v for k, v in after.items() if k != "a-math"} == {
            k: v for k, v in before.items() if k != "a-math"
        }


def test_the_real_decks_open_in_anki(db_session: Session, content_dir: Path, tmp_path: Path) -> None:
    """Every live card of ``content/`` is one note in its deck; every numeric card has its variant."""
    parsed = parse_content_dir(content_dir, known_generators={g.id for g in verifier.generators()})
    assert parsed.ok
    sync_content(db_session, parsed, now=T0)
    package = _write(anki_export.export_anki(db_session, deck=None), tmp_path / "all.apkg")
    collection = new_collection(tmp_path / "anki")
    try:
        import_package(collection, package)
        notes = notes_by_id(collection)
    finally:
        collection.close()
    assert {card_id: note["deck"] for card_id, note in notes.items()} == {
        card.id: f"dlquiz::{card.deck_id}" for card in parsed.cards
    }
    for card in parsed.cards:
        assert ("dlquiz poses a fresh variant" in notes[card.id]["Back"]) == (card.generator is not None)
