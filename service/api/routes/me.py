"""The caller's account and study settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep, ClockDep, CurrentUserDep, DatabaseDep
from service.api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ErrorRead
from service.auth import service as auth_service
from service.auth.schemas import UserRead
from service.study import settings as study_settings
from service.study import tuning
from service.study.schemas import OptimizeRead, SettingsRead, SettingsUpdate, WorkloadRead

router = APIRouter(prefix="/me", tags=["auth"], route_class=CheckedRoute)


@router.get("", response_model=UserRead, responses=AUTH_RESPONSES)
async def get_me(database: DatabaseDep, principal: CurrentUserDep) -> UserRead:
    """The account behind the bearer token."""
    return await database.run(auth_service.me, principal)


@router.get("/settings", response_model=SettingsRead, responses=AUTH_RESPONSES)
async def get_settings(caller: CallerDep) -> SettingsRead:
    """The caller's study settings."""
    return await caller.run(study_settings.get_settings)


@router.patch("/settings", response_model=SettingsRead, responses=AUTH_RESPONSES)
async def update_settings(caller: CallerDep, body: SettingsUpdate) -> SettingsRead:
    """Change any subset of the settings; scheduler changes apply from the next review on."""
    return await caller.run(study_settings.update_settings, update=body, now=caller.now)


@router.post(
    "/optimize",
    response_model=OptimizeRead,
    responses={
        **AUTH_RESPONSES,
        409: {"model": ErrorRead, "description": "Too few reviews to fit; `detail` says how many more"},
    },
)
async def optimize_parameters(
    database: DatabaseDep, principal: CurrentUserDep, clock: ClockDep
) -> OptimizeRead:
    """Fit FSRS weights to the caller's review log (fsrs-rs) and schedule with them from now on."""
    return await tuning.optimize(database, user_id=principal.user_id, now=clock())


@router.get("/simulate", response_model=WorkloadRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
async def simulate_workload(
    database: DatabaseDep,
    principal: CurrentUserDep,
    retention: Annotated[
        str,
        Query(
            max_length=100,
            examples=["0.85,0.9,0.95"],
            description="Comma-separated desired retentions, each in [0.7, 0.99].",
        ),
    ] = "0.85,0.9,0.95",
) -> WorkloadRead:
    """Predicted reviews per day over the next 90 days at each desired retention (fsrs-rs simulator)."""
    retentions = tuning.parse_retentions(retention)
    return await tuning.workload(database, user_id=principal.user_id, retentions=retentions)
