"""SQL for decks and cards: only queries here, no HTTP and no rendering."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from service.db.models import Card, CardTag, ContentState, Deck


def live_decks_with_counts(session: Session) -> Sequence[tuple[Deck, int]]:
    """Every non-archived deck with its number of non-archived cards, in file order."""
    count = (
        select(func.count(Card.key))
        .where(Card.deck_id == Deck.id, Card.archived.is_(False))
        .scalar_subquery()
    )
    rows = session.execute(select(Deck, count).where(Deck.archived.is_(False)).order_by(Deck.position))
    return [(deck, int(n)) for deck, n in rows.tuples()]


def _filtered_cards(*, deck: str | None, tag: str | None, q: str | None) -> Select[Card]:
    query = select(Card).where(Card.archived.is_(False))
    if deck is not None:
        query = query.where(Card.deck_id == deck)
    if tag is not None:
        query = query.where(Card.key.in_(select(CardTag.card_key).where(CardTag.tag == tag)))
    if q:
        needle = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Card.front_md).like(needle, escape="\\"),
                func.lower(Card.back_md).like(needle, escape="\\"),
                func.lower(Card.detail_md).like(needle, escape="\\"),
            )
        )
    return query


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so a search for ``50%`` matches the text, not everything."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_cards(
    session: Session, *, deck: str | None, tag: str | None, q: str | None, limit: int, offset: int
) -> tuple[Sequence[Card], int]:
    """A page of matching live cards in deck and file order, and the number of all matches."""
    query = _filtered_cards(deck=deck, tag=tag, q=escape_like(q) if q else None)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.join(Deck, Deck.id == Card.deck_id)
        .order_by(Deck.position, Card.position)
        .limit(limit)
        .offset(offset)
    ).all()
    return page, int(total)


def live_card(session: Session, card_id: str) -> Card | None:
    """The non-archived card with this author id, if any."""
    return session.scalar(select(Card).where(Card.id == card_id, Card.archived.is_(False)))


def content_version(session: Session) -> str | None:
    """The hash of all live content, or None before the first sync."""
    return session.scalar(select(ContentState.version))
