"""Deck listing."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response

from service.api.deps import SessionDep
from service.api.etag import NOT_MODIFIED, conditional_json
from service.content import service
from service.content.schemas import DecksPage

router = APIRouter(prefix="/decks", tags=["cards"])


@router.get("", response_model=DecksPage, responses=NOT_MODIFIED)
def list_decks(request: Request, session: SessionDep) -> Response:
    """Every deck with its title, description and number of cards."""
    etag = hashlib.sha256(f"decks:{service.content_version(session)}".encode()).hexdigest()
    return conditional_json(request, etag, lambda: service.list_decks(session))
