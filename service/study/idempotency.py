"""Idempotency keys for writing study requests, stored in the database (never in process memory).

The key is claimed with an insert on the unique ``(user_id, key)`` inside the request's own transaction,
before anything else is written, after the user's study lock is taken. So two workers or replicas that
receive the same retry agree: one inserts and does the work, the other finds the key, waits for nothing
(the lock already ordered them) and answers with the stored response. A failed request rolls back its
claim together with everything else, so a retry runs again instead of replaying an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from service.errors import Conflict
from service.study import idempotency_repository

Model = TypeVar("Model", bound=BaseModel)


# Python prints no int of more than 4,300 decimal digits (``sys.get_int_max_str_digits``); a body may
# hold one (an answer with a 5,000-digit number, refused later as malformed), so such ints are hashed
# in hexadecimal, which has no limit. Below this many bits every int prints in decimal.
_DECIMAL_BITS = 13_000


def _printable(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > _DECIMAL_BITS:
        return {"int": hex(value)}
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value


def request_hash(operation: str, body: Any) -> str:
    """A fingerprint of the request: the operation and its canonical JSON body."""
    try:
        canonical = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), default=str)
    except ValueError:  # an int too long to print in decimal (see _DECIMAL_BITS)
        canonical = json.dumps(
            [operation, _printable(body)], sort_keys=True, separators=(",", ":"), default=str
        )
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    session: Session,
    *,
    user_id: int,
    key: str | None,
    fingerprint: str,
    status_code: int,
    model: type[Model],
    now: datetime,
    ttl: timedelta,
    action: Callable[[], Model],
) -> Model:
    """``action()``'s result, or the stored result of the first request with this key.

    Call with the user's study lock held. The result is returned as stored (JSON round trip), so the
    first answer and every replay are byte-for-byte the same. A key reused with another request is a
    Conflict; keys older than ``ttl`` are purged first and count as unused.
    """
    if key is None:
        return action()
    idempotency_repository.purge_keys(session, user_id=user_id, created_before=now - ttl)
    key_id = idempotency_repository.claim_key(
        session, user_id=user_id, key=key, request_hash=fingerprint, now=now
    )
    if key_id is None:
        stored = idempotency_repository.stored_key(session, user_id=user_id, key=key)
        if stored is None or stored.request_hash != fingerprint or stored.response is None:
            raise Conflict(f"Idempotency-Key '{key}' was already used with a different request")
        return model.model_validate(stored.response)
    body = action().model_dump(mode="json")
    idempotency_repository.store_response(session, key_id, status_code=status_code, response=body)
    return model.model_validate(body)
