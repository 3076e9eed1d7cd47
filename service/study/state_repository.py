"""SQL for recording a review: the card's keys it reads, the state row and the log entry it writes.

Prebuilt Core statements run through :func:`service.db.session.execute`, like the rest of the study
loop's SQL. Through the ORM (``Session.get``, then a new ``ReviewLog`` and a changed ``CardState``
flushed by the unit of work) these two rows cost about a fifth of the server's time per request of the
study loop (py-spy, GIL holder only, bench/load.py at 50 users); as statements, a tenth of that.

Statements bypass the session's identity map, so a state written here expires any ``CardState`` the
session already holds for that row: a later ORM read in the same request sees the new values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from service.db.models import Card, CardState, ReviewLog
from service.db.session import execute
from service.study.scheduler import NEW_CARD, Snapshot, StudyState


class StudyCard(Protocol):
    """What recording a review reads of its card: a ``Card`` row, or the :class:`CardKeys` of one."""

    @property
    def key(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def deck_id(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def archived(self) -> bool: ...
    @property
    def generator(self) -> str | None: ...


class CardKeys(NamedTuple):
    """A card's identity and place, without its text (a self-rated review needs no more)."""

    key: int
    id: str
    deck_id: str
    position: int
    archived: bool
    generator: str | None


_LIVE_CARD_KEYS = select(Card.key, Card.id, Card.deck_id, Card.position, Card.archived, Card.generator).where(
    Card.id == bindparam("card_id"), Card.archived.is_(False)
)


def live_card_keys(session: Session, card_id: str) -> CardKeys | None:
    """:func:`live_card` without loading the card's text into an ORM object (a review's hot path)."""
    row = execute(session, _LIVE_CARD_KEYS, {"card_id": card_id}).first()
    return None if row is None else CardKeys(*row)


@dataclass(frozen=True, slots=True)
class StoredState:
    """A card's stored scheduling state for one user and how many reviews made it."""

    snapshot: Snapshot
    reps: int


_THIS_STATE = (CardState.user_id == bindparam("p_user")) & (CardState.card_key == bindparam("p_card"))
_SELECT_STATE = select(
    CardState.state,
    CardState.step,
    CardState.stability,
    CardState.difficulty,
    CardState.due,
    CardState.last_review,
    CardState.reps,
).where(_THIS_STATE)
_VALUES = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "interval_days")
_UPDATE_STATE = (
    update(CardState).where(_THIS_STATE).values({name: bindparam(f"v_{name}") for name in _VALUES})
)
_INSERT_STATE = insert(CardState)
_DELETE_STATE = delete(CardState).where(_THIS_STATE)
_INSERT_LOG = insert(ReviewLog).returning(ReviewLog.id)


def stored_state(session: Session, user_id: int, card_key: int) -> StoredState | None:
    """The card's state row, or None for a card the user has not reviewed (or whose reviews were undone)."""
    row = execute(session, _SELECT_STATE, {"p_user": user_id, "p_card": card_key}).first()
    if row is None:
        return None
    state, step, stability, difficulty, due, last_review, reps = row
    snapshot = Snapshot(StudyState(state), step, stability, difficulty, due, last_review)
    return StoredState(snapshot, reps)


def write_state(
    session: Session, *, user_id: int, card_key: int, stored: bool, snapshot: Snapshot, reps: int
) -> None:
    """Store ``snapshot`` as the card's state; ``stored`` says whether a row exists (read under the user's
    study lock). A card that is new again has no row."""
    key = {"p_user": user_id, "p_card": card_key}
    if snapshot.state == StudyState.NEW:
        if stored:
            execute(session, _DELETE_STATE, key)
    else:
        values: dict[str, Any] = {
            "state": int(snapshot.state),
            "step": snapshot.step,
            "stability": snapshot.stability,
            "difficulty": snapshot.difficulty,
            "due": snapshot.due,
            "last_review": snapshot.last_review,
            "reps": reps,
            "interval_days": snapshot.interval_days,
        }
        if stored:
            execute(session, _UPDATE_STATE, key | {f"v_{name}": value for name, value in values.items()})
        else:
            execute(session, _INSERT_STATE, {"user_id": user_id, "card_key": card_key} | values)
    held = session.identity_map.get(session.identity_key(CardState, (user_id, card_key)))
    if held is not None:
        session.expire(held)


def transition_fields(before: Snapshot, after: Snapshot) -> dict[str, int | float | datetime | None]:
    """The ``before_*`` and ``after_*`` columns of a log entry that moved a card from one state to another."""
    new = before.state == StudyState.NEW
    return {
        "before_state": None if new else int(before.state),
        "before_step": before.step,
        "before_stability": before.stability,
        "before_difficulty": before.difficulty,
        "before_due": before.due,
        "before_last_review": before.last_review,
        "before_interval_days": None if new else before.interval_days,
        "after_state": int(after.state),
        "after_step": after.step,
        "after_stability": after.stability,
        "after_difficulty": after.difficulty,
        "after_due": after.due,
        "after_last_review": after.last_review,
        "after_interval_days": after.interval_days,
    }


def append_log(session: Session, columns: dict[str, Any]) -> int:
    """Insert one review log entry (every column but ``id``) and return its id."""
    log_id: int = execute(session, _INSERT_LOG, columns).scalar_one()
    return log_id


def before_of(log: ReviewLog) -> Snapshot:
    """The state a stored log entry found the card in."""
    if log.before_state is None:
        return NEW_CARD
    return Snapshot(
        state=StudyState(log.before_state),
        step=log.before_step,
        stability=log.before_stability,
        difficulty=log.before_difficulty,
        due=log.before_due,
        last_review=log.before_last_review,
    )


def after_of(log: ReviewLog) -> Snapshot:
    """The state a stored log entry left the card in."""
    return Snapshot(
        state=StudyState(log.after_state),
        step=log.after_step,
        stability=log.after_stability,
        difficulty=log.after_difficulty,
        due=log.after_due,
        last_review=log.after_last_review,
    )
