"""The API's routers, gathered in one place."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.errors import ERROR_RESPONSES
from service.api.routes import cards, decks, generators, questions

api_router = APIRouter(prefix="/api/v1", responses={422: ERROR_RESPONSES[422]})
api_router.include_router(decks.router)
api_router.include_router(cards.router)
api_router.include_router(generators.router)
api_router.include_router(questions.router)
