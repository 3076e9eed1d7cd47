"""Reviews done in Anki (or AnkiDroid) come back into dlquiz's review log.

A note is a dlquiz card when its GUID is one :func:`anki_export.note_guid` gives for a card id; each
revlog row of such a note becomes a dlquiz review (rating = the button, time = the revlog id in ms,
duration = the answer time in ms) unless the user already has that revlog id. The cards that got new
reviews are then rescheduled by replaying their merged log (:func:`reviews.merge_imported_reviews`),
so the stored state is still exactly the replay of the log, as for reviews done in dlquiz.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from service.auth import repository as auth_repository
from service.errors import NotFound
from service.interop import anki_package, repository
from service.interop.anki_export import note_guid
from service.interop.schemas import AnkiImportRead
from service.study import progress, reviews
from service.study import repository as study_repository
from service.study import settings as study_settings
from service.study.reviews import ImportedReview
from service.study.scheduler import Rating

_RATINGS = frozenset(int(rating) for rating in Rating)
# ReviewLog.duration_ms is a 32-bit integer column.
_MAX_DURATION_MS = 2**31 - 1


def _review_time(revlog_id: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(revlog_id / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def import_anki_reviews(
    session: Session, *, user_id: int, data: bytes, max_bytes: int, now: datetime
) -> AnkiImportRead:
    """Import the review log of an Anki package for ``user_id``; idempotent per revlog id.

    Raises PayloadTooLarge or InvalidSubmission for a package that is too big or unreadable (then
    nothing is written).
    """
    collection = anki_package.read_package(data, max_bytes=max_bytes)
    keys = {note_guid(card_id): key for key, card_id in repository.all_card_ids(session)}
    skipped_notes = sum(1 for guid in set(collection.note_guids) if guid not in keys)

    ignored = 0
    candidates: list[tuple[int, ImportedReview]] = []
    for row in collection.reviews:
        key = keys.get(row.guid)
        if key is None:
            continue  # a review of a note that is not ours: counted with its note
        reviewed_at = _review_time(row.revlog_id)
        if row.ease not in _RATINGS or reviewed_at is None or reviewed_at > now:
            ignored += 1
            continue
        duration = row.time_ms if 0 <= row.time_ms <= _MAX_DURATION_MS else None
        candidates.append((key, ImportedReview(Rating(row.ease), reviewed_at, duration, row.revlog_id)))

    study_repository.lock_user(session, user_id)
    known = repository.known_revlog_ids(
        session, user_id=user_id, revlog_ids=[review.anki_revlog_id for _key, review in candidates]
    )
    by_card: dict[int, list[ImportedReview]] = defaultdict(list)
    for key, review in candidates:
        if review.anki_revlog_id not in known:
            by_card[key].append(review)
            known.add(review.anki_revlog_id)  # Anki's revlog id is its primary key; a forged copy is ignored
    if by_card:
        settings_row, _spec = study_settings.load(session, user_id)
        progress.ensure_current(session, settings_row)
        specs = {
            config.id: study_settings.spec_of(config)
            for config in repository.scheduler_configs(session, user_id=user_id)
        }
        for card in repository.cards_by_key(session, by_card.keys()):
            reviews.merge_imported_reviews(
                session,
                user_id=user_id,
                card=card,
                imported=by_card[card.key],
                scheduler_config_id=settings_row.scheduler_config_id,
                specs=specs,
            )
    imported = sum(len(found) for found in by_card.values())
    return AnkiImportRead(
        imported=imported,
        duplicate=len(candidates) - imported,
        skipped_notes=skipped_notes,
        ignored=ignored,
        cards=len(by_card),
    )


def import_anki_reviews_for(
    session: Session, *, username: str, data: bytes, max_bytes: int, now: datetime
) -> AnkiImportRead:
    """:func:`import_anki_reviews` for the account named ``username`` (the operator's command line)."""
    user = auth_repository.user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user named '{username}'")
    return import_anki_reviews(session, user_id=user.id, data=data, max_bytes=max_bytes, now=now)
