"""Response shapes of the card API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DeckRead(BaseModel):
    """A deck with the number of live cards in it."""

    id: str = Field(examples=["batchnorm"])
    title: str
    description: str
    position: int
    card_count: int


class DecksPage(BaseModel):
    items: list[DeckRead]


class CardSide(BaseModel):
    """One side of a card: the markdown as written and safe HTML with MathML for formulas."""

    markdown: str
    html: str


class CardRead(BaseModel):
    """A card as clients show it; ``detail`` is the optional longer explanation after the answer."""

    id: str = Field(examples=["bn-train-forward"])
    deck: str
    position: int
    front: CardSide
    back: CardSide
    detail: CardSide | None
    tags: list[str]
    source: str
    generator: str | None
    content_hash: str
    updated_at: datetime


class CardsPage(BaseModel):
    """One page of a card listing; ``total`` counts every match, not just this page."""

    items: list[CardRead]
    total: int
    limit: int
    offset: int
