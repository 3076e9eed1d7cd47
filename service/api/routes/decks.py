"""Deck listing."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.api.deps import ContentCacheDep
from service.api.etag import NOT_MODIFIED, CachedContentRoute, cached_response
from service.content import service
from service.content.schemas import DecksPage

router = APIRouter(prefix="/decks", tags=["cards"], route_class=CachedContentRoute)


@router.get("", response_model=DecksPage, responses=NOT_MODIFIED)
async def list_decks(request: Request, cache: ContentCacheDep) -> Response:
    """Every deck with its title, description and number of cards."""
    return await cached_response(request, cache, service.list_decks)
