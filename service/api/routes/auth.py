"""Registration, OAuth2 password-flow tokens and logout.

Register and token hand the service the :class:`~service.db.database.Database` itself: their service
functions run their own short transactions around the password hash (see :mod:`service.auth.service`), so no database
connection is held while Argon2 runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from service.api.checked_route import CheckedRoute
from service.api.deps import ClockDep, CurrentUserDep, DatabaseDep, SettingsDep
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES, ErrorRead
from service.auth import service
from service.auth.schemas import TokenRead, UserCreate, UserRead
from service.auth.security import PasswordHasher

router = APIRouter(prefix="/auth", tags=["auth"], route_class=CheckedRoute)

_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorRead,
        "description": "Too many failed attempts from this username or address: locked out for a while",
        "headers": _RETRY_AFTER,
    },
    503: {
        "model": ErrorRead,
        "description": "Too many password checks at once: retry shortly",
        "headers": _RETRY_AFTER,
    },
}


async def get_password_hasher(request: Request) -> PasswordHasher:
    """The process's bounded Argon2 hasher, built at start-up."""
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


def client_address(request: Request) -> str:
    """The caller's address, as uvicorn reports it (behind a proxy: set ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "unknown"


PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]


@router.post(
    "/register",
    status_code=201,
    response_model=UserRead,
    responses={**CONFLICT_RESPONSES, **LIMITED_RESPONSES},
)
async def register(
    request: Request,
    database: DatabaseDep,
    hasher: PasswordHasherDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: UserCreate,
) -> UserRead:
    """Create an account: username 3-32 of `a-z 0-9 _ . -` (case-insensitive), password 8-128 chars."""
    return await service.register_account(
        database, hasher, body, address=client_address(request), settings=settings, now=clock()
    )


@router.post("/token", response_model=TokenRead, responses={**AUTH_RESPONSES, **LIMITED_RESPONSES})
async def create_token(
    request: Request,
    response: Response,
    database: DatabaseDep,
    hasher: PasswordHasherDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> TokenRead:
    """OAuth2 password flow (form fields `username`, `password`; others ignored): a bearer token."""
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: never cache a token response
    return await service.issue_token(
        database,
        hasher,
        username=username,
        password=password,
        address=client_address(request),
        settings=settings,
        now=clock(),
    )


@router.post("/logout", status_code=204, responses=AUTH_RESPONSES)
async def logout(database: DatabaseDep, principal: CurrentUserDep, clock: ClockDep) -> None:
    """Revoke the token this request was made with."""
    await database.run(service.logout, principal, now=clock())
