"""The official Anki client (the ``anki`` package, headless) as the tests drive it.

Each helper does what a person does in Anki's desktop app: import a package, study a deck, export
with scheduling. Collections live in a folder the test owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from anki.collection import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)


def new_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_package(collection: Collection, package: Path) -> None:
    """File > Import with Anki's defaults (a note whose package copy is newer is updated)."""
    request = ImportAnkiPackageRequest(
        package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
    )
    collection.import_anki_package(request)


def study_deck(collection: Collection, deck: str, eases: Sequence[int]) -> int:
    """Answer the deck's queue in order with these buttons (1 Again .. 4 Easy); returns the answers given.

    Stops early when the queue is empty (learning cards come back within Anki's learn-ahead limit).
    """
    collection.decks.select(collection.decks.id_for_name(deck))
    answered = 0
    for ease in eases:
        queued = collection.sched.get_queued_cards()
        if not queued.cards:
            break
        top = queued.cards[0]
        card = collection.get_card(top.card.id)
        card.start_timer()
        # CardAnswer.Rating counts from 0 (Again); the revlog stores the button as ease 1-4.
        answer = collection.sched.build_answer(card=card, states=top.states, rating=ease - 1)
        collection.sched.answer_card(answer)
        answered += 1
    return answered


def export_package(collection: Collection, package: Path, *, legacy: bool = False) -> None:
    """File > Export as .apkg with scheduling; ``legacy`` is "support older Anki versions"."""
    options = ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=True, with_media=False, legacy=legacy
    )
    collection.export_anki_package(out_path=str(package), options=options, limit=None)


def notes_by_id(collection: Collection) -> dict[str, dict[str, str]]:
    """Every note's fields by its ``dlquiz id`` field, plus its GUID and its first card's deck."""
    found: dict[str, dict[str, str]] = {}
    for note_id in collection.find_notes(""):
        note = collection.get_note(note_id)
        fields = dict(note.items())
        deck = collection.decks.name(collection.get_card(note.card_ids()[0]).did)
        found[fields.get("dlquiz id", note.guid)] = {**fields, "guid": note.guid, "deck": deck}
    return found
