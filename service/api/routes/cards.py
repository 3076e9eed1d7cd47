"""Card listing, search and lookup."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from service.api.deps import SessionDep
from service.api.errors import ERROR_RESPONSES
from service.api.etag import NOT_MODIFIED, conditional_json
from service.content import service
from service.content.schemas import CardRead, CardsPage

router = APIRouter(prefix="/cards", tags=["cards"])

MAX_PAGE = 200


@router.get("", response_model=CardsPage, responses=NOT_MODIFIED)
def list_cards(
    request: Request,
    session: SessionDep,
    deck: Annotated[str | None, Query(max_length=64, description="Only cards of this deck id.")] = None,
    tag: Annotated[str | None, Query(max_length=64, description="Only cards with this tag.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Case-insensitive text search in question and answer.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Cards to skip.")] = 0,
) -> Response:
    """Live cards in deck order, filtered by deck, tag and text; `total` counts all matches."""
    key = f"cards:{service.content_version(session)}:{deck}:{tag}:{q}:{limit}:{offset}"
    etag = hashlib.sha256(key.encode()).hexdigest()
    return conditional_json(
        request,
        etag,
        lambda: service.list_cards(session, deck=deck, tag=tag, q=q, limit=limit, offset=offset),
    )


@router.get("/{card_id}", response_model=CardRead, responses={**ERROR_RESPONSES, **NOT_MODIFIED})
def get_card(
    request: Request,
    session: SessionDep,
    card_id: Annotated[str, Path(max_length=128, description="The card's stable id.")],
) -> Response:
    """One card by id; unknown or archived ids are 404."""
    card = service.get_card(session, card_id)
    return conditional_json(request, card.content_hash, lambda: card)
