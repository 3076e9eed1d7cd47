"""Decks and cards as loaded from ``content/``.

A card's ``key`` is a surrogate integer that review history will reference for years; the author's
``id`` (the kebab-case slug in the markdown) is unique and what the API shows. Cards are never deleted:
a card removed from the markdown is archived, so its history keeps a row to hang on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.types import UTCDateTime, utcnow


class Deck(Base):
    """One markdown file of ``content/``; archived when its file disappears."""

    __tablename__ = "decks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Card(Base):
    """One question/answer card with its markdown source, rendered HTML and content hash."""

    __tablename__ = "cards"
    __table_args__ = (
        Index("ix_cards_deck_id_position", "deck_id", "position"),
        # Archived cards are few; this partial index lists them, so per-user study queries can leave
        # them out with one small NOT IN set instead of a lookup in `cards` for every state row.
        Index(
            "ix_cards_archived_key", "key", sqlite_where=text("archived"), postgresql_where=text("archived")
        ),
    )

    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(128), unique=True)
    deck_id: Mapped[str] = mapped_column(ForeignKey("decks.id"))
    position: Mapped[int] = mapped_column(Integer)
    front_md: Mapped[str] = mapped_column(Text)
    back_md: Mapped[str] = mapped_column(Text)
    detail_md: Mapped[str] = mapped_column(Text, default="")
    front_html: Mapped[str] = mapped_column(Text)
    back_html: Mapped[str] = mapped_column(Text)
    detail_html: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(500))
    generator: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The answer's key points, one line each (the `### Key points` list); empty: the answer's sentences.
    key_points: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    content_hash: Mapped[str] = mapped_column(String(64))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tag_rows: Mapped[list[CardTag]] = relationship(
        back_populates="card", cascade="all, delete-orphan", lazy="raise"
    )


class CardTag(Base):
    """One (card, tag) pair, so filtering by tag is an indexed lookup on every backend.

    ``cards.tags`` keeps the same tags in order for reading; the content sync writes both.
    """

    __tablename__ = "card_tags"
    __table_args__ = (Index("ix_card_tags_tag", "tag"),)

    card_key: Mapped[int] = mapped_column(ForeignKey("cards.key", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)

    card: Mapped[Card] = relationship(back_populates="tag_rows")


class ContentState(Base):
    """A single row: the hash of all live content, bumped by every sync that changes something.

    List responses use it as their ETag, and any process can tell whether its cached view is stale.
    """

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
