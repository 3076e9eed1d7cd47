"""Response shapes of the export and import API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AnkiImportRead(BaseModel):
    """What an Anki import did; importing the same file again reports everything as ``duplicate``."""

    imported: int = Field(description="Anki reviews added to your log.")
    duplicate: int = Field(description="Anki reviews already imported before (matched by Anki's revlog id).")
    skipped_notes: int = Field(description="Notes in the package that are not dlquiz cards.")
    ignored: int = Field(
        description="Review-log rows of dlquiz cards without a rating (Anki's manual reschedules) or "
        "with a time in the future."
    )
    cards: int = Field(description="dlquiz cards whose schedule was replayed from the merged log.")


class CardExportRead(BaseModel):
    """One card for people and tools: the markdown as written, not HTML."""

    id: str
    deck: str
    question: str
    answer: str
    detail: str
    tags: list[str]
    source: str
    generator: str | None
