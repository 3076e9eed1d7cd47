"""SQL for exports and imports: only queries here."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Card, Deck, ReviewLog, SchedulerConfig


def live_cards(session: Session, *, deck: str | None) -> Sequence[tuple[Deck, Card]]:
    """Live cards with their deck, in deck and file order; only one deck's when ``deck`` is given."""
    query = (
        select(Deck, Card)
        .join(Card, Card.deck_id == Deck.id)
        .where(Deck.archived.is_(False), Card.archived.is_(False))
        .order_by(Deck.position, Card.position)
    )
    if deck is not None:
        query = query.where(Deck.id == deck)
    return [(deck_row, card) for deck_row, card in session.execute(query)]


def live_deck(session: Session, deck_id: str) -> Deck | None:
    return session.scalar(select(Deck).where(Deck.id == deck_id, Deck.archived.is_(False)))


def all_card_ids(session: Session) -> Sequence[tuple[int, str]]:
    """(key, id) of every card, archived ones too: an old export may still carry them."""
    return [(key, card_id) for key, card_id in session.execute(select(Card.key, Card.id))]


def cards_by_key(session: Session, keys: Collection[int]) -> Sequence[Card]:
    return session.scalars(select(Card).where(Card.key.in_(keys)).order_by(Card.key)).all()


def known_revlog_ids(session: Session, *, user_id: int, revlog_ids: Collection[int]) -> set[int]:
    """Which of these Anki revlog ids this user has imported already."""
    found: set[int] = set()
    ids = sorted(revlog_ids)
    # Chunked so the IN list stays within every driver's parameter limit.
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        rows = session.scalars(
            select(ReviewLog.anki_revlog_id).where(
                ReviewLog.user_id == user_id, ReviewLog.anki_revlog_id.in_(chunk)
            )
        )
        found.update(revlog_id for revlog_id in rows if revlog_id is not None)
    return found


def active_reviews(session: Session, *, user_id: int) -> Iterator[tuple[str, ReviewLog]]:
    """The user's non-undone reviews with their card's id, in time order, streamed."""
    query = (
        select(Card.id, ReviewLog)
        .join(Card, Card.key == ReviewLog.card_key)
        .where(ReviewLog.user_id == user_id, ReviewLog.undone.is_(False))
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
        .execution_options(yield_per=2000)
    )
    return ((card_id, log) for card_id, log in session.execute(query))


def scheduler_configs(session: Session, *, user_id: int) -> Sequence[SchedulerConfig]:
    """Every scheduler configuration the user ever had (their review logs point at these)."""
    return session.scalars(select(SchedulerConfig).where(SchedulerConfig.user_id == user_id)).all()
