"""Exports (Anki package, cards as CSV/JSON, the caller's review log) and the Anki review import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from service.api.checked_route import CheckedRoute
from service.api.deps import CallerDep, DatabaseDep
from service.api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ErrorRead
from service.interop import anki_export, anki_import, tables
from service.interop.schemas import AnkiImportRead, CardExportRead

router = APIRouter(tags=["interop"], route_class=CheckedRoute)

APKG_MEDIA_TYPE = "application/apkg"
DeckQuery = Annotated[
    str | None, Query(max_length=64, description="Only this deck id (all live decks when omitted).")
]


def _attachment(content: str | bytes, *, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/export/anki",
    response_class=Response,
    responses={200: {"content": {APKG_MEDIA_TYPE: {}}, "description": "An Anki package"}, **ERROR_RESPONSES},
)
async def export_anki(database: DatabaseDep, deck: DeckQuery = None) -> Response:
    """The decks as an Anki package: one note per card, deck `dlquiz::<deck>`, stable GUIDs."""
    package = await database.run_in_thread(anki_export.export_anki, deck=deck)
    return _attachment(package, media_type=APKG_MEDIA_TYPE, filename=f"dlquiz-{deck or 'all'}.apkg")


@router.get(
    "/export/cards.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Cards as CSV"}, **ERROR_RESPONSES},
)
async def export_cards_csv(database: DatabaseDep, deck: DeckQuery = None) -> Response:
    """Live cards as CSV: id, deck, question, answer, detail, tags, source, generator (markdown)."""
    cards = await database.run_in_thread(tables.export_cards, deck=deck)
    return _attachment(tables.cards_csv(cards), media_type="text/csv", filename="dlquiz-cards.csv")


@router.get("/export/cards.json", response_model=list[CardExportRead], responses=ERROR_RESPONSES)
async def export_cards_json(database: DatabaseDep, deck: DeckQuery = None) -> list[CardExportRead]:
    """Live cards as a JSON array with the same fields as the CSV."""
    return await database.run_in_thread(tables.export_cards, deck=deck)


@router.get(
    "/me/reviews.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The review log as CSV"}, **AUTH_RESPONSES},
)
async def export_reviews_csv(caller: CallerDep) -> Response:
    """The caller's review log in the FSRS tools' columns (card_id, review_time ms UTC, rating, state, ms)."""
    content = await caller.run_in_thread(tables.reviews_csv)
    return _attachment(content, media_type="text/csv", filename="dlquiz-reviews.csv")


@router.post(
    "/import/anki",
    response_model=AnkiImportRead,
    responses={
        **AUTH_RESPONSES,
        413: {"model": ErrorRead, "description": "The package is larger than the configured limit"},
        422: {"model": ErrorRead, "description": "Not a readable Anki package"},
    },
)
async def import_anki(
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="An .apkg or .colpkg exported from Anki with scheduling.")],
) -> AnkiImportRead:
    """Reviews done in Anki on dlquiz cards join the caller's log; importing a file twice adds nothing."""
    limit = caller.settings.anki_import_max_mb << 20
    data = await file.read(limit + 1)
    return await caller.run_in_thread(
        anki_import.import_anki_reviews, data=data, max_bytes=limit, now=caller.now
    )
