"""Per-deck progress: how many of a user's live cards are new, learning, young and mature, and where
the next new card is, without counting the user's collection row by row.

``deck_progress`` rows are kept in step by every review and undo (both run under the user's study
lock). Content syncs move, add and archive cards, so the rows carry the content version they were
computed for (``user_settings.progress_version``): when it differs, a writer rebuilds them from
``card_states`` once, and a reader computes them on the fly without storing.

The live card count per deck depends only on the content, so it is cached per process and keyed by
the database and content version it was read with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from service.study import progress_repository, repository, state_repository
from service.study.progress_repository import LiveDeck, ProgressCounts
from service.study.repository import POSITION_MIN, SettingsRow
from service.study.scheduler import Snapshot, StudyState

Category = Literal["new", "learning", "young", "mature"]

_live_lock = threading.Lock()
_live_cache: dict[tuple[str, str], tuple[LiveDeck, ...]] = {}


def category(snapshot: Snapshot) -> Category:
    """Where a card in this state is counted."""
    if snapshot.state == StudyState.NEW:
        return "new"
    if snapshot.state != StudyState.REVIEW:
        return "learning"
    return "mature" if snapshot.mature else "young"


def live_decks(session: Session) -> tuple[str, tuple[LiveDeck, ...]]:
    """The content version and the live decks with their live card counts (cached per version)."""
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    version = progress_repository.content_version(session)
    cached = _live_cache.get((database, version))
    if cached is not None:
        return version, cached
    version, decks = progress_repository.live_decks(session)
    with _live_lock:
        if len(_live_cache) > 16:
            _live_cache.clear()
        _live_cache[(database, version)] = decks
    return version, decks


@dataclass(frozen=True, slots=True)
class DeckCounts:
    """One live deck as the queue and the stats see it."""

    deck: LiveDeck
    learning: int
    young: int
    mature: int
    new_from: int

    @property
    def new(self) -> int:
        return max(0, self.deck.cards - self.learning - self.young - self.mature)


def deck_counts(session: Session, settings_row: SettingsRow) -> list[DeckCounts]:
    """Every live deck with this user's counts, from the stored rows when they are current."""
    version, decks = live_decks(session)
    if settings_row.progress_version == version:
        stored = progress_repository.stored_progress(session, settings_row.user_id)
    else:
        stored = progress_repository.computed_progress(session, settings_row.user_id, exact_new_from=False)
    empty = ProgressCounts(0, 0, 0, POSITION_MIN)
    return [
        DeckCounts(deck, counts.learning, counts.young, counts.mature, counts.new_from)
        for deck in decks
        for counts in [stored.get(deck.id, empty)]
    ]


def ensure_current(session: Session, settings_row: SettingsRow) -> None:
    """Rebuild the user's rows if the content changed since they were computed (writers only)."""
    version = progress_repository.content_version(session)
    if settings_row.progress_version == version:
        return
    progress = progress_repository.computed_progress(session, settings_row.user_id, exact_new_from=True)
    progress_repository.replace_progress(session, settings_row.user_id, progress)
    repository.set_progress_version(session, settings_row.user_id, version)


def apply_change(
    session: Session, *, user_id: int, card: state_repository.StudyCard, before: Snapshot, after: Snapshot
) -> None:
    """Move ``card`` from its old category to its new one; call after the state row was written.

    A card seen for the first time may be the one ``new_from`` points at: then the cursor moves to the
    next unseen card (usually the next position). A card that becomes new again (undo of its first
    review) pulls the cursor back to it.
    """
    if card.archived:
        return  # archived cards are not counted; the next content version rebuilds anyway
    old, new = category(before), category(after)
    if old == new:
        return
    deltas = {"learning": 0, "young": 0, "mature": 0}
    for name, delta in ((old, -1), (new, +1)):
        if name != "new":
            deltas[name] += delta
    new_from = progress_repository.shift_progress(session, user_id=user_id, deck_id=card.deck_id, **deltas)
    if old == "new" and card.position >= new_from:
        position = repository.first_unseen_position(
            session, user_id=user_id, deck_id=card.deck_id, from_position=new_from
        )
        progress_repository.set_new_from(session, user_id=user_id, deck_id=card.deck_id, position=position)
    elif new == "new" and card.position < new_from:
        progress_repository.set_new_from(
            session, user_id=user_id, deck_id=card.deck_id, position=card.position
        )
