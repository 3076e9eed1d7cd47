"""Idempotent sync of parsed content into the database.

Cards are matched by their author-given id. A changed card is updated in place (same key, so its review
history stays attached); a card that disappeared from the markdown is archived, never deleted; a card
whose content hash is unchanged is not written at all, so re-running a sync on unchanged content is a
read-only pass.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from service.content.drafts import CardDraft, DeckDraft, ParsedContent
from service.db.models import Card, CardTag, ContentState, Deck
from service.errors import ContentError

CONTENT_STATE_ROW = 1


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync changed; ``version`` is the content hash after it."""

    decks: int
    cards: int
    created: int
    updated: int
    archived: int
    unchanged: int
    version: str

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)


def content_version(decks: list[DeckDraft], cards: list[CardDraft]) -> str:
    """A hash of everything the API serves, so it changes exactly when the served content does."""
    digest = hashlib.sha256()
    for deck in sorted(decks, key=lambda d: d.id):
        digest.update(f"deck\0{deck.id}\0{deck.title}\0{deck.description}\0{deck.position}\n".encode())
    for card in sorted(cards, key=lambda c: c.id):
        digest.update(f"card\0{card.id}\0{card.content_hash}\n".encode())
    return digest.hexdigest()


def _card_values(card: CardDraft, now: datetime) -> dict[str, Any]:
    return {
        "deck_id": card.deck_id,
        "position": card.position,
        "front_md": card.front_md,
        "back_md": card.back_md,
        "detail_md": card.detail_md,
        "front_html": card.front_html,
        "back_html": card.back_html,
        "detail_html": card.detail_html,
        "tags": list(card.tags),
        "source": card.source,
        "generator": card.generator,
        "key_points": list(card.key_points),
        "content_hash": card.content_hash,
        "archived": False,
        "updated_at": now,
    }


def _sync_decks(session: Session, decks: list[DeckDraft], now: datetime) -> None:
    existing = {deck.id: deck for deck in session.scalars(select(Deck))}
    wanted = {deck.id for deck in decks}
    for draft in decks:
        row = existing.get(draft.id)
        if row is None:
            session.add(
                Deck(
                    id=draft.id,
                    title=draft.title,
                    description=draft.description,
                    position=draft.position,
                    archived=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif (row.title, row.description, row.position, row.archived) != (
            draft.title,
            draft.description,
            draft.position,
            False,
        ):
            row.title, row.description, row.position = draft.title, draft.description, draft.position
            row.archived, row.updated_at = False, now
    for deck_id, row in existing.items():
        if deck_id not in wanted and not row.archived:
            row.archived, row.updated_at = True, now
    session.flush()


def sync_content(session: Session, parsed: ParsedContent, *, now: datetime) -> SyncReport:
    """Bring the database in line with ``parsed``; refuses (ContentError) when it has issues.

    Flushes but does not commit: the caller owns the transaction, so a failed sync leaves the last good
    content in place.
    """
    if parsed.issues:
        raise ContentError(
            f"content has {len(parsed.issues)} error(s)", issues=[str(issue) for issue in parsed.issues]
        )
    _sync_decks(session, parsed.decks, now)

    existing = {
        card_id: (key, content_hash, archived)
        for card_id, key, content_hash, archived in session.execute(
            select(Card.id, Card.key, Card.content_hash, Card.archived)
        )
    }
    new_cards = [draft for draft in parsed.cards if draft.id not in existing]
    changed_cards = [
        draft
        for draft in parsed.cards
        if draft.id in existing and (existing[draft.id][1] != draft.content_hash or existing[draft.id][2])
    ]
    wanted = {draft.id for draft in parsed.cards}
    to_archive = [
        key for card_id, (key, _, archived) in existing.items() if card_id not in wanted and not archived
    ]

    if new_cards:
        rows = session.execute(
            insert(Card).returning(Card.key, Card.id),
            [{"id": draft.id, "created_at": now, **_card_values(draft, now)} for draft in new_cards],
        ).all()
        keys = {card_id: key for key, card_id in rows}
        tag_rows = [{"card_key": keys[d.id], "tag": tag} for d in new_cards for tag in d.tags]
        if tag_rows:
            session.execute(insert(CardTag), tag_rows)
    for draft in changed_cards:
        key = existing[draft.id][0]
        session.execute(update(Card).where(Card.key == key).values(**_card_values(draft, now)))
        session.execute(delete(CardTag).where(CardTag.card_key == key))
        if draft.tags:
            session.execute(insert(CardTag), [{"card_key": key, "tag": tag} for tag in draft.tags])
    if to_archive:
        session.execute(update(Card).where(Card.key.in_(to_archive)).values(archived=True, updated_at=now))

    version = content_version(parsed.decks, parsed.cards)
    state = session.get(ContentState, CONTENT_STATE_ROW)
    if state is None:
        session.add(ContentState(id=CONTENT_STATE_ROW, version=version, synced_at=now))
    elif state.version != version:
        state.version, state.synced_at = version, now
    session.flush()
    return SyncReport(
        decks=len(parsed.decks),
        cards=len(parsed.cards),
        created=len(new_cards),
        updated=len(changed_cards),
        archived=len(to_archive),
        unchanged=len(parsed.cards) - len(new_cards) - len(changed_cards),
        version=version,
    )


def has_content(session: Session) -> bool:
    """Whether the database already holds cards (so bad markdown can fall back to them)."""
    return session.scalar(select(Card.key).limit(1)) is not None
