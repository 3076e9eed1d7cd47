"""Conditional GETs: cards change only on a content sync, so their hashes make strong ETags."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from service.content.cache import CachedResponse, ContentCache, Model

NOT_MODIFIED: dict[int | str, dict[str, str]] = {304: {"description": "Not modified (If-None-Match)"}}


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def conditional_response(request: Request, cached: CachedResponse) -> Response:
    """304 when the client already holds this ETag; otherwise the cached JSON body."""
    quoted = f'"{cached.etag}"'
    headers = {"ETag": quoted, "Cache-Control": "no-cache"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and (if_none_match.strip() == "*" or quoted in _etags(if_none_match)):
        return Response(status_code=304, headers=headers)
    return Response(content=cached.body, media_type="application/json", headers=headers)


async def cached_response(
    request: Request,
    cache: ContentCache,
    key: Hashable,
    build: Callable[[Session], Model],
    *,
    etag: Callable[[Model], str] | None = None,
) -> Response:
    """Answer from the content cache on the event loop when it is current, else build in a thread."""
    cached = cache.peek(key)
    if cached is None:
        cached = await run_in_threadpool(partial(cache.get, key, build, etag=etag))
    return conditional_response(request, cached)
