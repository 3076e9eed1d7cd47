"""SQL for users and access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db.models import AccessToken, User


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def token_by_hash(session: Session, token_hash: str) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash))


def revoke_token(session: Session, token_id: int, *, now: datetime) -> None:
    session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
