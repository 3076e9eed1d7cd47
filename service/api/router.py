"""The API's routers, gathered in one place."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.errors import BAD_REQUEST_RESPONSES, ERROR_RESPONSES, UNAVAILABLE_RESPONSES
from service.api.routes import (
    auth,
    cards,
    decks,
    generators,
    interop,
    interviews,
    me,
    questions,
    readiness,
    reviews,
    stats,
    study,
)

api_router = APIRouter(
    prefix="/api/v1",
    responses={**BAD_REQUEST_RESPONSES, 422: ERROR_RESPONSES[422], **UNAVAILABLE_RESPONSES},
)
# The most frequent requests first (card reads, then the study loop): FastAPI tries the routers in
# order, each costing a match of its routes, and no two of them share a path.
api_router.include_router(cards.router)
api_router.include_router(decks.router)
api_router.include_router(study.router)
api_router.include_router(reviews.router)
api_router.include_router(questions.router)
api_router.include_router(auth.router)
api_router.include_router(me.router)
api_router.include_router(generators.router)
api_router.include_router(stats.router)
api_router.include_router(readiness.router)
api_router.include_router(interop.router)
api_router.include_router(interviews.router)
