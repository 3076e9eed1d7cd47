"""SQL for users and access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from service.db.models import AccessToken, User


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


@dataclass(frozen=True, slots=True)
class TokenStatus:
    id: int
    user_id: int
    expires_at: datetime
    revoked_at: datetime | None


# Every authenticated request runs this: the statement is built once, and four columns are read
# rather than an ORM entity loaded (each costs more than the indexed lookup itself).
_TOKEN_BY_HASH = select(
    AccessToken.id, AccessToken.user_id, AccessToken.expires_at, AccessToken.revoked_at
).where(AccessToken.token_hash == bindparam("token_hash"))


def token_by_hash(session: Session, token_hash: str) -> TokenStatus | None:
    row = session.connection().execute(_TOKEN_BY_HASH, {"token_hash": token_hash}).first()
    return None if row is None else TokenStatus(*row)


def revoke_token(session: Session, token_id: int, *, now: datetime) -> None:
    session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
