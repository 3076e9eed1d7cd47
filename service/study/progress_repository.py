"""SQL for deck progress: the content version, the live decks, and each user's per-deck counters
(stored, shifted by a review, or computed afresh from card states when the content changed).

Split from :mod:`service.study.repository`; the same rules hold: per-request statements are built once
at import with bound parameters and run through :func:`service.db.session.execute`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from service.db.models import (
    Card,
    CardState,
    ContentState,
    Deck,
    DeckProgress,
)
from service.db.session import execute
from service.study.repository import (
    LEARNING_STATES,
    MATURE_DAYS,
    POSITION_MAX,
    POSITION_MIN,
    REVIEW_STATE,
)


@dataclass(frozen=True, slots=True)
class LiveDeck:
    id: str
    position: int
    cards: int


_CONTENT_VERSION = select(ContentState.version)


def content_version(session: Session) -> str:
    return execute(session, _CONTENT_VERSION).scalar() or ""


def live_decks(session: Session) -> tuple[str, tuple[LiveDeck, ...]]:
    """The content version and every live deck in order with its number of live cards.

    One statement, so the version labels exactly the counts it was read with (a content sync that
    commits in between cannot make a cached count wear the new version).
    """
    counts = (
        select(Card.deck_id, func.count().label("cards"))
        .where(Card.archived.is_(False))
        .group_by(Card.deck_id)
        .subquery()
    )
    version = select(ContentState.version).scalar_subquery()
    rows = session.execute(
        select(version, Deck.id, Deck.position, func.coalesce(counts.c.cards, 0))
        .select_from(Deck)
        .outerjoin(counts, counts.c.deck_id == Deck.id)
        .where(Deck.archived.is_(False))
        .order_by(Deck.position, Deck.id)
    ).all()
    if not rows:
        return content_version(session), ()
    return rows[0][0] or "", tuple(LiveDeck(deck_id, position, int(n)) for _, deck_id, position, n in rows)


def progress_row(session: Session, user_id: int, deck_id: str) -> DeckProgress | None:
    # Fresh from the database: reviews change the rows with Core statements (:func:`shift_progress`).
    return session.get(DeckProgress, (user_id, deck_id), populate_existing=True)


_SHIFT_PROGRESS = (
    update(DeckProgress)
    .where(DeckProgress.user_id == bindparam("p_user"), DeckProgress.deck_id == bindparam("p_deck"))
    .values(
        learning=DeckProgress.learning + bindparam("d_learning"),
        young=DeckProgress.young + bindparam("d_young"),
        mature=DeckProgress.mature + bindparam("d_mature"),
    )
    .returning(DeckProgress.new_from)
)
_ADD_PROGRESS = insert(DeckProgress).values(
    user_id=bindparam("p_user"),
    deck_id=bindparam("p_deck"),
    learning=bindparam("d_learning"),
    young=bindparam("d_young"),
    mature=bindparam("d_mature"),
    new_from=POSITION_MIN,
)
_SET_NEW_FROM = (
    update(DeckProgress)
    .where(DeckProgress.user_id == bindparam("p_user"), DeckProgress.deck_id == bindparam("p_deck"))
    .values(new_from=bindparam("position"))
)


def shift_progress(
    session: Session, *, user_id: int, deck_id: str, learning: int, young: int, mature: int
) -> int:
    """Add to the deck's counters (a missing row starts at zero, its cursor at POSITION_MIN) and
    return its ``new_from``. Call under the user's study lock."""
    params = {"p_user": user_id, "p_deck": deck_id, "d_learning": learning, "d_young": young}
    params["d_mature"] = mature
    new_from = execute(session, _SHIFT_PROGRESS, params).scalar()
    if new_from is not None:
        return int(new_from)
    execute(session, _ADD_PROGRESS, params)
    return POSITION_MIN


def set_new_from(session: Session, *, user_id: int, deck_id: str, position: int) -> None:
    execute(session, _SET_NEW_FROM, {"p_user": user_id, "p_deck": deck_id, "position": position})


@dataclass(frozen=True, slots=True)
class ProgressCounts:
    learning: int
    young: int
    mature: int
    new_from: int


_STORED_PROGRESS = select(
    DeckProgress.deck_id,
    DeckProgress.learning,
    DeckProgress.young,
    DeckProgress.mature,
    DeckProgress.new_from,
).where(DeckProgress.user_id == bindparam("user_id"))


def stored_progress(session: Session, user_id: int) -> dict[str, ProgressCounts]:
    """The user's ``deck_progress`` rows by deck id."""
    rows = execute(session, _STORED_PROGRESS, {"user_id": user_id})
    return {
        deck_id: ProgressCounts(learning, young, mature, new_from)
        for deck_id, learning, young, mature, new_from in rows
    }


def computed_progress(session: Session, user_id: int, *, exact_new_from: bool) -> dict[str, ProgressCounts]:
    """Per-deck counts recomputed from ``card_states`` (reads every state of the user: only after a
    content change). Without ``exact_new_from`` the cursor is the always-valid lower bound."""
    is_learning = CardState.state.in_(LEARNING_STATES)
    is_review = CardState.state == REVIEW_STATE
    rows = session.execute(
        select(
            Card.deck_id,
            func.sum(case((is_learning, 1), else_=0)),
            func.sum(case((and_(is_review, CardState.interval_days < MATURE_DAYS), 1), else_=0)),
            func.sum(case((and_(is_review, CardState.interval_days >= MATURE_DAYS), 1), else_=0)),
        )
        .join(Card, Card.key == CardState.card_key)
        .where(CardState.user_id == user_id, Card.archived.is_(False))
        .group_by(Card.deck_id)
    ).all()
    new_from: dict[str, int] = {}
    if exact_new_from and rows:
        unseen = session.execute(
            select(Card.deck_id, func.min(Card.position))
            .where(
                Card.archived.is_(False),
                Card.deck_id.in_([row[0] for row in rows]),
                ~exists().where(CardState.user_id == user_id, CardState.card_key == Card.key),
            )
            .group_by(Card.deck_id)
        ).all()
        new_from = {deck_id: int(position) for deck_id, position in unseen}
    return {
        deck_id: ProgressCounts(
            learning=int(learning or 0),
            young=int(young or 0),
            mature=int(mature or 0),
            new_from=new_from.get(deck_id, POSITION_MAX) if exact_new_from else POSITION_MIN,
        )
        for deck_id, learning, young, mature in rows
    }


def replace_progress(session: Session, user_id: int, progress: dict[str, ProgressCounts]) -> None:
    session.execute(delete(DeckProgress).where(DeckProgress.user_id == user_id))
    session.add_all(
        DeckProgress(
            user_id=user_id,
            deck_id=deck_id,
            learning=counts.learning,
            young=counts.young,
            mature=counts.mature,
            new_from=counts.new_from,
        )
        for deck_id, counts in progress.items()
    )
    session.flush()


# --- idempotency keys ------------------------------------------------------------------------------
