"""SQL for idempotency keys: purge the expired, claim a key for a write, read or store its answer.

Split from :mod:`service.study.repository`; its statements are built once at import with bound
parameters and run through :func:`service.db.session.execute`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.db.models import (
    IdempotencyKey,
)
from service.db.session import execute

_PURGE_KEYS = delete(IdempotencyKey).where(
    IdempotencyKey.user_id == bindparam("user_id"), IdempotencyKey.created_at < bindparam("created_before")
)


def purge_keys(session: Session, *, user_id: int, created_before: datetime) -> None:
    execute(session, _PURGE_KEYS, {"user_id": user_id, "created_before": created_before})


_CLAIM_KEY = {
    dialect: insert(IdempotencyKey)
    .values(
        user_id=bindparam("user_id"),
        key=bindparam("key"),
        request_hash=bindparam("request_hash"),
        created_at=bindparam("now"),
    )
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(IdempotencyKey.id)
    for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def claim_key(session: Session, *, user_id: int, key: str, request_hash: str, now: datetime) -> int | None:
    """Insert the key; its id, or None when the key already exists (someone else claimed it first).

    ``INSERT ... ON CONFLICT DO NOTHING`` on the unique (user_id, key): on PostgreSQL a concurrent
    inserter of the same key waits here until the first transaction commits, then sees the conflict.
    """
    dialect = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    params = {"user_id": user_id, "key": key, "request_hash": request_hash, "now": now}
    key_id = execute(session, _CLAIM_KEY[dialect], params).scalar()
    return None if key_id is None else int(key_id)


def stored_key(session: Session, *, user_id: int, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )


_STORE_RESPONSE = (
    update(IdempotencyKey)
    .where(IdempotencyKey.id == bindparam("key_id"))
    .values(status_code=bindparam("p_status_code"), response=bindparam("p_response"))
)


def store_response(session: Session, key_id: int, *, status_code: int, response: dict[str, Any]) -> None:
    params = {"key_id": key_id, "p_status_code": status_code, "p_response": response}
    execute(session, _STORE_RESPONSE, params)


# --- stats -----------------------------------------------------------------------------------------


# Bucketed aggregates are plain SQL text: a Core VALUES construct is compiled anew on every call
# (its rows are part of the statement), which for the streak's 2,000 days took longer than the query.
# The text for a given number of buckets is built once; the database sees a VALUES table of
# (bucket, lo, hi) joined to an indexed timestamp, i.e. one index range scan per bucket, so a day
# costs what its rows cost and no per-row CASE over every boundary is evaluated.
