"""Card listing, search and lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from service.api.deps import ContentCacheDep
from service.api.errors import ERROR_RESPONSES
from service.api.etag import NOT_MODIFIED, CachedContentRoute, cached_response
from service.content import service
from service.content.schemas import CardRead, CardsPage

router = APIRouter(prefix="/cards", tags=["cards"], route_class=CachedContentRoute)

MAX_PAGE = 200


@router.get("", response_model=CardsPage, responses=NOT_MODIFIED)
async def list_cards(
    request: Request,
    cache: ContentCacheDep,
    deck: Annotated[str | None, Query(max_length=64, description="Only cards of this deck id.")] = None,
    tag: Annotated[str | None, Query(max_length=64, description="Only cards with this tag.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Case-insensitive text search in question and answer.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Cards to skip.")] = 0,
) -> Response:
    """Live cards in deck order, filtered by deck, tag and text; `total` counts all matches."""
    return await cached_response(
        request,
        cache,
        lambda session: service.list_cards(session, deck=deck, tag=tag, q=q, limit=limit, offset=offset),
    )


@router.get("/{card_id}", response_model=CardRead, responses={**ERROR_RESPONSES, **NOT_MODIFIED})
async def get_card(
    request: Request,
    cache: ContentCacheDep,
    card_id: Annotated[str, Path(max_length=128, description="The card's stable id.")],
) -> Response:
    """One card by id; unknown or archived ids are 404."""
    return await cached_response(
        request,
        cache,
        lambda session: service.get_card(session, card_id),
        etag=lambda card: card.content_hash,
    )
