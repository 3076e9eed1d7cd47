"""Registration, OAuth2 password-flow tokens and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form

from service.api.deps import ClockDep, CurrentUserDep, DatabaseDep, SettingsDep
from service.api.errors import AUTH_RESPONSES, CONFLICT_RESPONSES
from service.auth import service
from service.auth.schemas import TokenRead, UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserRead, responses=CONFLICT_RESPONSES)
async def register(
    database: DatabaseDep, settings: SettingsDep, clock: ClockDep, body: UserCreate
) -> UserRead:
    """Create an account: username 3-32 of `a-z 0-9 _ . -` (case-insensitive), password 8-128 chars."""
    return await database.run(service.register, body, settings=settings, now=clock())


@router.post("/token", response_model=TokenRead, responses=AUTH_RESPONSES)
async def create_token(
    database: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> TokenRead:
    """OAuth2 password flow (form fields `username`, `password`; others ignored): a bearer token."""
    return await database.run(
        service.issue_token, username=username, password=password, settings=settings, now=clock()
    )


@router.post("/logout", status_code=204, responses=AUTH_RESPONSES)
async def logout(database: DatabaseDep, principal: CurrentUserDep, clock: ClockDep) -> None:
    """Revoke the token this request was made with."""
    await database.run(service.logout, principal, now=clock())
