"""Use cases for accounts: register, issue and revoke tokens, resolve a token to its user.

Password hashing is deliberately slow (Argon2id), so the two requests that hash (register, token)
never hold a database connection while it runs. Each first takes a slot of the bounded
:class:`~service.auth.security.PasswordHasher` (or gets a 503 without touching the database), opens a
short transaction to charge its rate limits and read what it needs (one :meth:`Database.run`),
releases it, hashes, and runs a second short transaction for its write. Each transaction takes the
write lock (:func:`begin_write`; on SQLite database-wide) for its write alone and nobody waits on it
for a hash; a burst of logins cannot exhaust the connection pool or the database threads, and at most
one charged attempt per slot is ever in flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth import repository, security, throttle
from service.auth.schemas import Principal, TokenRead, UserCreate, UserRead
from service.config import Settings
from service.db.database import Database
from service.db.models import AccessToken, User
from service.db.session import begin_write
from service.errors import Conflict, NotFound, Unauthorized
from service.study import settings as study_settings

WRONG_CREDENTIALS = "incorrect username or password"
MISSING_TOKEN = "not authenticated: send 'Authorization: Bearer <token>'"


def _user_read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, created_at=user.created_at)


def create_user(
    session: Session, username: str, password_hash: str, *, settings: Settings, now: datetime
) -> UserRead:
    """Store an account (lowercase name, given hash) with default study settings; a taken name is a
    Conflict."""
    user = User(username=username.lower(), password_hash=password_hash, created_at=now)
    begin_write(session)
    try:
        # A savepoint: when two registrations race, the loser's unique violation becomes a 409.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(f"username '{user.username}' is taken") from None
    study_settings.create_defaults(session, user.id, settings=settings, now=now)
    return _user_read(user)


def register(session: Session, body: UserCreate, *, settings: Settings, now: datetime) -> UserRead:
    """Create an account in ``session``, hashing on this thread (CLI, tests, benches; not requests)."""
    password_hash = security.hash_password(
        body.password,
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
    )
    return create_user(session, body.username, password_hash, settings=settings, now=now)


async def register_account(
    database: Database,
    hasher: security.PasswordHasher,
    body: UserCreate,
    *,
    address: str,
    settings: Settings,
    now: datetime,
) -> UserRead:
    """Register over HTTP: take a hashing slot, charge the address's registration limit, hash, then
    store the account.

    Raises TooManyRequests while the address is locked out, ServiceUnavailable when no hashing slot frees up
    in time, Conflict when the name is taken.
    """
    limits = throttle.register_limits(address, settings=settings)
    async with hasher.slot() as slot:
        await database.run(throttle.charge, limits, settings=settings, now=now)
        password_hash = await slot.hash(body.password)
    return await database.run(create_user, body.username, password_hash, settings=settings, now=now)


async def issue_token(
    database: Database,
    hasher: security.PasswordHasher,
    *,
    username: str,
    password: str,
    address: str,
    settings: Settings,
    now: datetime,
) -> TokenRead:
    """A new bearer token for valid credentials; any mismatch is the same 401.

    The attempt takes a hashing slot, then is charged to the username and the address before the
    password is checked (see :mod:`service.auth.throttle`), and forgiven when it succeeds. Raises TooManyRequests while either
    key is locked out, ServiceUnavailable when no hashing slot frees up in time.
    """
    name = username.lower()
    limits = throttle.login_limits(name, address, settings=settings)

    def charge_and_read(session: Session) -> tuple[int, str] | None:
        throttle.charge(session, limits, settings=settings, now=now)
        user = repository.user_by_username(session, name)
        return None if user is None else (user.id, user.password_hash)

    # The slot first: an attempt refused for want of one (503) is neither charged nor checked, and at
    # most `concurrency` charged attempts per process are ever in flight.
    async with hasher.slot() as slot:
        found = await database.run(charge_and_read)
        valid = await slot.verify(password, None if found is None else found[1])
    if found is None or not valid:
        raise Unauthorized(WRONG_CREDENTIALS)
    user_id = found[0]

    def forgive_and_issue(session: Session) -> TokenRead:
        throttle.forgive(session, limits, settings=settings, now=now)
        token, token_hash = security.new_token()
        expires_at = now + timedelta(hours=settings.token_ttl_hours)
        session.add(
            AccessToken(user_id=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at)
        )
        session.flush()
        return TokenRead(access_token=token, expires_at=expires_at)

    return await database.run(forgive_and_issue)


def authenticate(session: Session, token: str | None, *, now: datetime) -> Principal:
    """The caller behind ``token``; missing, unknown, expired and revoked tokens are all Unauthorized."""
    if not token:
        raise Unauthorized(MISSING_TOKEN)
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


def user_id_of(session: Session, username: str) -> int:
    """The id of the account called ``username`` (any case), for operator commands; NotFound otherwise."""
    user = repository.user_by_username(session, username.lower())
    if user is None:
        raise NotFound(f"no user called '{username}'")
    return user.id
