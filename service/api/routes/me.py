"""The caller's account and study settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.checked_route import CheckedRoute
from service.api.deps import (
    CallerDep,
    ClockDep,
    CurrentUserDep,
    CurrentWriterDep,
    SessionDep,
    TransactionsDep,
    WriteSessionDep,
)
from service.api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ErrorRead
from service.auth import service as auth_service
from service.auth.schemas import UserRead
from service.study import settings as study_settings
from service.study import tuning
from service.study.schemas import OptimizeRead, SettingsRead, SettingsUpdate, WorkloadRead

router = APIRouter(prefix="/me", tags=["auth"], route_class=CheckedRoute)


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


@router.post(
    "/optimize",
    response_model=OptimizeRead,
    responses={
        **AUTH_RESPONSES,
        409: {"model": ErrorRead, "description": "Too few reviews to fit; `detail` says how many more"},
    },
)
def optimize_parameters(db: TransactionsDep, principal: CallerDep, clock: ClockDep) -> OptimizeRead:
    """Fit FSRS weights to the caller's review log (fsrs-rs) and schedule with them from now on."""
    return tuning.optimize(db.read, db.write, user_id=principal.user_id, now=clock())


@router.get("/simulate", response_model=WorkloadRead, responses={**AUTH_RESPONSES, **ERROR_RESPONSES})
def simulate_workload(
    db: TransactionsDep,
    principal: CallerDep,
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
    return tuning.workload(db.read, user_id=principal.user_id, retentions=retentions)
