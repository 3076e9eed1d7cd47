"""The caller's account and study settings."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ClockDep, CurrentUserDep, DatabaseDep
from service.api.errors import AUTH_RESPONSES
from service.auth import service as auth_service
from service.auth.schemas import UserRead
from service.study import settings as study_settings
from service.study.schemas import SettingsRead, SettingsUpdate

router = APIRouter(prefix="/me", tags=["auth"])


@router.get("", response_model=UserRead, responses=AUTH_RESPONSES)
async def get_me(database: DatabaseDep, principal: CurrentUserDep) -> UserRead:
    """The account behind the bearer token."""
    return await database.run(auth_service.me, principal)


@router.get("/settings", response_model=SettingsRead, responses=AUTH_RESPONSES)
async def get_settings(database: DatabaseDep, principal: CurrentUserDep) -> SettingsRead:
    """The caller's study settings."""
    return await database.run(study_settings.get_settings, user_id=principal.user_id)


@router.patch("/settings", response_model=SettingsRead, responses=AUTH_RESPONSES)
async def update_settings(
    database: DatabaseDep, principal: CurrentUserDep, clock: ClockDep, body: SettingsUpdate
) -> SettingsRead:
    """Change any subset of the settings; scheduler changes apply from the next review on."""
    return await database.run(
        study_settings.update_settings, user_id=principal.user_id, update=body, now=clock()
    )
