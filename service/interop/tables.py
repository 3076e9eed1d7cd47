"""Cards and review logs as CSV and JSON, for people (a spreadsheet) and tools (FSRS optimizers).

Cards are exported as their markdown, not HTML: that is what a person reads and what a tool can
re-render. The review log uses the column names and units the FSRS tools read (fsrs-optimizer,
fsrs-rs): ``card_id``, ``review_time`` in ms since the epoch (UTC), ``review_rating`` 1-4,
``review_state`` the card's state *before* the review (0 new, 1 learning, 2 review, 3 relearning) and
``review_duration`` in ms (0 when unknown). Undone reviews are not part of the log.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from service.errors import NotFound
from service.interop import repository
from service.interop.schemas import CardExportRead

CARD_COLUMNS = ("id", "deck", "question", "answer", "detail", "tags", "source", "generator")
REVIEW_COLUMNS = ("card_id", "review_time", "review_rating", "review_state", "review_duration")


def export_cards(session: Session, *, deck: str | None) -> list[CardExportRead]:
    """Every live card (or one deck's) in deck and file order; an unknown deck is NotFound."""
    if deck is not None and repository.live_deck(session, deck) is None:
        raise NotFound(f"no deck with id '{deck}'")
    return [
        CardExportRead(
            id=card.id,
            deck=deck_row.id,
            question=card.front_md,
            answer=card.back_md,
            detail=card.detail_md,
            tags=list(card.tags),
            source=card.source,
            generator=card.generator,
        )
        for deck_row, card in repository.live_cards(session, deck=deck)
    ]


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def cards_csv(cards: Sequence[CardExportRead]) -> str:
    """One row per card; tags joined with ", " as the deck files write them; no generator is empty."""
    return _csv(
        CARD_COLUMNS,
        (
            (c.id, c.deck, c.question, c.answer, c.detail, ", ".join(c.tags), c.source, c.generator or "")
            for c in cards
        ),
    )


def cards_json(cards: Sequence[CardExportRead]) -> str:
    return json.dumps([card.model_dump(mode="json") for card in cards], ensure_ascii=False, indent=1)


def reviews_csv(session: Session, *, user_id: int) -> str:
    """The user's active review log, oldest first, in the FSRS tools' columns."""
    return _csv(
        REVIEW_COLUMNS,
        (
            (
                card_id,
                round(log.reviewed_at.timestamp() * 1000),
                log.rating,
                log.before_state or 0,
                log.duration_ms or 0,
            )
            for card_id, log in repository.active_reviews(session, user_id=user_id)
        ),
    )
