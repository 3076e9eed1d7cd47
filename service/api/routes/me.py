"""The caller's account and study settings."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ClockDep, CurrentUserDep, CurrentWriterDep, SessionDep, WriteSessionDep
from service.api.errors import AUTH_RESPONSES
from service.api.json_body import JsonBodyRoute
from service.auth import service as auth_service
from service.auth.schemas import UserRead
from service.study import settings as study_settings
from service.study.schemas import SettingsRead, SettingsUpdate

router = APIRouter(prefix="/me", tags=["auth"], route_class=JsonBodyRoute)


@router.get("", response_model=UserRead, responses=AUTH_RESPONSES)
def get_me(session: SessionDep, principal: CurrentUserDep) -> UserRead:
    """The account behind the bearer token."""
    return auth_service.me(session, principal)


@router.get("/settings", response_model=SettingsRead, responses=AUTH_RESPONSES)
def get_settings(session: SessionDep, principal: CurrentUserDep) -> SettingsRead:
    """The caller's study settings."""
    return study_settings.get_settings(session, user_id=principal.user_id)


@router.patch("/settings", response_model=SettingsRead, responses=AUTH_RESPONSES)
def update_settings(
    session: WriteSessionDep, principal: CurrentWriterDep, clock: ClockDep, body: SettingsUpdate
) -> SettingsRead:
    """Change any subset of the settings; scheduler changes apply from the next review on."""
    return study_settings.update_settings(session, user_id=principal.user_id, update=body, now=clock())
