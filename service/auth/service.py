"""Use cases for accounts: register, issue and revoke tokens, resolve a token to its user.

Password hashing is deliberately slow (Argon2id), so it runs while the session holds no connection,
and the write (:func:`begin_write`, on SQLite the database-wide write lock) begins after it: other
requests should not wait for a hash.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth import repository, security
from service.auth.schemas import Principal, TokenRead, UserCreate, UserRead
from service.config import Settings
from service.db.models import AccessToken, User
from service.db.session import begin_write, end_read
from service.errors import Conflict, NotFound, Unauthorized
from service.study import settings as study_settings

WRONG_CREDENTIALS = "incorrect username or password"


def _user_read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, created_at=user.created_at)


def register(session: Session, body: UserCreate, *, settings: Settings, now: datetime) -> UserRead:
    """Create an account with default study settings; a taken username (any case) is a Conflict."""
    username = body.username.lower()
    password_hash = security.hash_password(
        body.password,
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
    )
    user = User(username=username, password_hash=password_hash, created_at=now)
    begin_write(session)
    try:
        # A savepoint: when two registrations race, the loser's unique violation becomes a 409.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(f"username '{username}' is taken") from None
    study_settings.create_defaults(session, user.id, settings=settings, now=now)
    return _user_read(user)


def issue_token(
    session: Session, *, username: str, password: str, settings: Settings, now: datetime
) -> TokenRead:
    """A new bearer token for valid credentials; any mismatch is the same 401.

    The user is read in a read transaction that ends before the slow hash is verified (no connection,
    no lock held meanwhile); only the token insert writes.
    """
    user = repository.user_by_username(session, username.lower())
    end_read(session)
    valid = security.verify_password(
        password,
        None if user is None else user.password_hash,
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
    )
    if user is None or not valid:
        raise Unauthorized(WRONG_CREDENTIALS)
    token, token_hash = security.new_token()
    expires_at = now + timedelta(hours=settings.token_ttl_hours)
    begin_write(session)
    session.add(AccessToken(user_id=user.id, token_hash=token_hash, created_at=now, expires_at=expires_at))
    session.flush()
    return TokenRead(access_token=token, expires_at=expires_at)


def authenticate(session: Session, token: str | None, *, now: datetime) -> Principal:
    """The caller behind ``token``; missing, unknown, expired and revoked tokens are all Unauthorized."""
    if not token:
        raise Unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    row = repository.token_by_hash(session, security.token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("invalid, expired or revoked token")
    return Principal(user_id=row.user_id, token_id=row.id)


def logout(session: Session, principal: Principal, *, now: datetime) -> None:
    """Revoke the token the caller authenticated with (other sessions stay logged in)."""
    begin_write(session)
    repository.revoke_token(session, principal.token_id, now=now)


def me(session: Session, principal: Principal) -> UserRead:
    user = repository.get_user(session, principal.user_id)
    if user is None:
        raise NotFound("no such user")
    return _user_read(user)
