"""What the parser produces from ``content/``: decks and cards as plain values, plus every problem found.

The drafts carry both the markdown source and the rendered HTML, so the database and the API never
render anything themselves, and a content hash, so a sync can skip cards that did not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ContentIssue:
    """One problem in the content, located by file and 1-based line."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class DeckDraft:
    """A deck's front matter; ``position`` orders decks as their file names do (``01-...``)."""

    id: str
    title: str
    description: str
    position: int
    path: Path


@dataclass(frozen=True, slots=True)
class CardDraft:
    """One card as written, rendered and hashed; ``line`` is where its heading is, for messages."""

    id: str
    deck_id: str
    position: int
    front_md: str
    back_md: str
    detail_md: str
    front_html: str
    back_html: str
    detail_html: str
    tags: tuple[str, ...]
    source: str
    generator: str | None
    content_hash: str
    path: Path
    line: int
    # The `### Key points` list, one line each; empty when the card has none.
    key_points: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedContent:
    """The result of reading a content directory: everything parsed, and every issue found on the way."""

    decks: list[DeckDraft] = field(default_factory=list)
    cards: list[CardDraft] = field(default_factory=list)
    issues: list[ContentIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues
