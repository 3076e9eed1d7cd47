"""The per-process cache of serialized content responses: what it keeps and how much."""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.content import cache as cache_module
from service.content.cache import ContentCache
from service.db.session import make_sessionmaker


class Page(BaseModel):
    text: str


def test_long_bodies_are_kept_compressed_too_and_short_ones_not(engine: Engine) -> None:
    cache = ContentCache(engine, make_sessionmaker(engine))
    try:
        long = cache.get("long", lambda _session: Page(text="x" * 5000))
        short = cache.get("short", lambda _session: Page(text="x"))
        assert long.gzipped is not None and gzip.decompress(long.gzipped) == long.body
        assert short.gzipped is None
        assert cache.get("long", lambda _session: Page(text="other")) is long  # a hit builds nothing
    finally:
        cache.close()


def test_entries_are_bounded_by_their_bytes(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys are URLs: a client can ask for many different large pages, so the count alone is no bound.
    monkeypatch.setattr(cache_module, "MAX_BYTES", 30_000)
    cache = ContentCache(engine, make_sessionmaker(engine))
    built: list[int] = []

    def page(number: int) -> Callable[[Session], Page]:
        def build(_session: Session) -> Page:
            built.append(number)
            return Page(text=f"{number}" * 10_000)

        return build

    try:
        for number in range(20):
            cache.get(("page", number), page(number))
        built.clear()
        cache.get(("page", 19), page(19))  # the newest page is still kept
        assert built == []
        cache.get(("page", 0), page(0))  # the oldest was dropped to stay within the budget
        assert built == [0]
    finally:
        cache.close()
