"""Conditional GETs: cards change only on a content sync, so their hashes make strong ETags."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

NOT_MODIFIED: dict[int | str, dict[str, str]] = {304: {"description": "Not modified (If-None-Match)"}}


def conditional_json(request: Request, etag: str, build: Callable[[], BaseModel]) -> Response:
    """304 when the client already holds ``etag``; otherwise the model built by ``build`` as JSON."""
    quoted = f'"{etag}"'
    headers = {"ETag": quoted, "Cache-Control": "no-cache"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and (if_none_match.strip() == "*" or quoted in _etags(if_none_match)):
        return Response(status_code=304, headers=headers)
    return JSONResponse(content=build().model_dump(mode="json"), headers=headers)


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}
