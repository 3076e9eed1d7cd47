"""Use cases for content: check, sync, and the card reads behind the API."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

import verifier
from service.content import repository
from service.content.drafts import ParsedContent
from service.content.loader import SyncReport, has_content, sync_content
from service.content.parser import parse_content_dir
from service.content.schemas import CardRead, CardSide, CardsPage, DeckRead, DecksPage
from service.db.models import Card
from service.errors import ContentError, NotFound

log = logging.getLogger(__name__)


def check_content(content_dir: Path) -> ParsedContent:
    """Parse ``content_dir`` and validate generator ids against the verifier's registry."""
    if not content_dir.is_dir():
        raise ContentError(f"content directory {content_dir} does not exist")
    known = {generator.id for generator in verifier.generators()}
    return parse_content_dir(content_dir, known_generators=known)


def generators_without_cards(parsed: ParsedContent) -> list[str]:
    """Registered generator ids that no card names with ``generator=``: questions nobody is led to."""
    linked = {card.generator for card in parsed.cards if card.generator is not None}
    return [generator.id for generator in verifier.generators() if generator.id not in linked]


def load_content(session: Session, content_dir: Path, *, now: datetime) -> SyncReport | None:
    """Sync ``content_dir`` at startup; with broken markdown, keep the last good content if there is any.

    Returns None when the markdown had errors and the database kept its previous content; raises
    ContentError when there is nothing to fall back to.
    """
    parsed = check_content(content_dir)
    if parsed.issues and has_content(session):
        for issue in parsed.issues:
            log.error("content error (serving the last good content): %s", issue)
        return None
    return sync_content(session, parsed, now=now)


def list_decks(session: Session) -> DecksPage:
    """Every live deck with its card count."""
    return DecksPage(
        items=[
            DeckRead(
                id=deck.id,
                title=deck.title,
                description=deck.description,
                position=deck.position,
                card_count=count,
            )
            for deck, count in repository.live_decks_with_counts(session)
        ]
    )


def card_read(card: Card) -> CardRead:
    """The API view of a card row."""
    return CardRead(
        id=card.id,
        deck=card.deck_id,
        position=card.position,
        front=CardSide(markdown=card.front_md, html=card.front_html),
        back=CardSide(markdown=card.back_md, html=card.back_html),
        detail=CardSide(markdown=card.detail_md, html=card.detail_html) if card.detail_md else None,
        tags=list(card.tags),
        source=card.source,
        generator=card.generator,
        content_hash=card.content_hash,
        updated_at=card.updated_at,
    )


def list_cards(
    session: Session, *, deck: str | None, tag: str | None, q: str | None, limit: int, offset: int
) -> CardsPage:
    """A page of live cards matching every given filter; ``q`` searches question, answer and detail."""
    cards, total = repository.search_cards(session, deck=deck, tag=tag, q=q, limit=limit, offset=offset)
    return CardsPage(items=[card_read(card) for card in cards], total=total, limit=limit, offset=offset)


def get_card(session: Session, card_id: str) -> CardRead:
    """One live card; an unknown or archived id is NotFound."""
    card = repository.live_card(session, card_id)
    if card is None:
        raise NotFound(f"no card with id '{card_id}'")
    return card_read(card)
