"""Cached content GETs: cards change only on a content sync, so their hashes make strong ETags, and a
response serialized once serves every later request for the same URL until the content changes."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from service.api.checked_route import CheckedRoute
from service.content.cache import CachedResponse, ContentCache, Model

NOT_MODIFIED: dict[int | str, dict[str, str]] = {304: {"description": "Not modified (If-None-Match)"}}


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def conditional_response(request: Request, cached: CachedResponse) -> Response:
    """304 when the client already holds this ETag; otherwise the cached JSON body, compressed once
    and for all when the client accepts gzip (GZipMiddleware passes an encoded body on untouched)."""
    quoted = f'"{cached.etag}"'
    headers = {"ETag": quoted, "Cache-Control": "no-cache"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and (if_none_match.strip() == "*" or quoted in _etags(if_none_match)):
        return Response(status_code=304, headers=headers)
    if cached.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        # the same test as the middleware's, which adds Vary itself to the bodies it sees uncompressed
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(content=cached.gzipped, media_type="application/json", headers=headers)
    return Response(content=cached.body, media_type="application/json", headers=headers)


def response_key(request: Request) -> tuple[str, bytes]:
    """The cache key of a content GET: its path and its raw query string, which hold every input of the
    response (the content routes are public, so no header but If-None-Match matters)."""
    return (request.scope["path"], request.scope["query_string"])


async def cached_response(
    request: Request,
    cache: ContentCache,
    build: Callable[[Session], Model],
    *,
    etag: Callable[[Model], str] | None = None,
) -> Response:
    """The cached answer for this URL, or ``build``'s, serialized and kept (only a successful one:
    ``build`` raising stores nothing); in a thread, as it may read the database. The handler of a
    :class:`CachedContentRoute`, which has already looked in the cache on the event loop."""
    cached = await run_in_threadpool(partial(cache.get, response_key(request), build, etag=etag))
    return conditional_response(request, cached)


class CachedContentRoute(CheckedRoute):
    """A content GET answered from the cache before FastAPI parses and validates its parameters.

    On a hit (this path and query string answered before, content unchanged since) the parameters were
    already checked by the request that filled the entry, and checking them again was most of the
    request's cost (FastAPI's per-parameter validation: about 40 % of a cached ``GET /cards?deck=``,
    py-spy). A miss goes through the route as usual, which stores its answer with
    :func:`cached_response`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def cached_handler(request: Request) -> Response:
            cache: ContentCache = request.app.state.content_cache
            hit = cache.peek(response_key(request))
            return conditional_response(request, hit) if hit is not None else await handler(request)

        return cached_handler
