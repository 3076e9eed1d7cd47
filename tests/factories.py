"""Builders of test content: small decks written to a temporary folder in the real card format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CardSpec:
    id: str
    front: str = "What is a test card?"
    back: str = "A card written by the test suite. It has two sentences."
    detail: str = ""
    tags: tuple[str, ...] = ("testing",)
    source: str = "DLB 5.2"
    generator: str | None = None


@dataclass
class DeckSpec:
    id: str
    title: str = "Test deck"
    description: str = "Cards made by tests."
    cards: list[CardSpec] = field(default_factory=list)


def deck_markdown(deck: DeckSpec) -> str:
    """The markdown an author would write for ``deck``."""
    lines = ["---", f"id: {deck.id}", f"title: {deck.title}", f"description: {deck.description}", "---", ""]
    for card in deck.cards:
        attrs = f'#{card.id} tags="{", ".join(card.tags)}" source="{card.source}"'
        if card.generator:
            attrs += f' generator="{card.generator}"'
        lines += ["{" + attrs + "}", f"## {card.front}", "", card.back, ""]
        if card.detail:
            lines += ["### Detail", "", card.detail, ""]
    return "\n".join(lines)


def write_decks(directory: Path, decks: list[DeckSpec]) -> Path:
    """Write each deck as ``NN-<id>.md`` (replacing what was there) and return the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("[0-9][0-9]-*.md"):
        old.unlink()
    for number, deck in enumerate(decks, start=1):
        (directory / f"{number:02d}-{deck.id}.md").write_text(deck_markdown(deck))
    return directory
