"""Serialized card responses, kept per process until the content version changes.

Cards change only when content is synced, which may happen in another process (``dlquiz content
sync``) or another worker. Each read therefore asks the database whether the content changed, as
cheaply as the backend allows, and otherwise answers from memory with bytes serialized once:

- SQLite: ``PRAGMA data_version`` on one dedicated connection changes whenever any other connection
  commits, so an unchanged number means nothing was written at all (no query of the version row).
- Other backends: one indexed single-row query of ``content_state`` per read.

Only when something was committed is the version row read again; a different version drops every entry.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.content import repository

MAX_ENTRIES = 4096
# The entries' bytes (bodies and their compressed copies) are bounded too: entries are keyed by URL, and a
# client can ask for many different full pages (or the same page with ignored parameters appended).
MAX_BYTES = 64 << 20
# Bodies at least this long are also kept gzip-compressed (the app's GZipMiddleware threshold): a deck's
# card list is ~73 KB of JSON, and compressing it for every browser request took ~2 ms of the event loop.
GZIP_MINIMUM_BYTES = 1000
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A response body serialized once, with the strong ETag that identifies it (and, when long enough
    to be worth it, the body gzip-compressed once)."""

    etag: str
    body: bytes
    gzipped: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + (len(self.gzipped) if self.gzipped is not None else 0)

    @classmethod
    def of(cls, etag: str, body: bytes) -> CachedResponse:
        compressed = gzip.compress(body, mtime=0) if len(body) >= GZIP_MINIMUM_BYTES else None
        return cls(etag=etag, body=body, gzipped=compressed)


class _SqliteChangeWatch:
    """Reads ``PRAGMA data_version``, which moves whenever another connection commits to the file."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def data_version(self) -> int:
        with self._lock:
            (value,) = self._connection.execute("PRAGMA data_version").fetchone()
            return int(value)

    def close(self) -> None:
        self._connection.close()


class ContentCache:
    """Per-process memo of serialized card API responses, invalidated by the content version."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._version: str | None = None
        self._data_version: int | None = None  # the watch's reading when _version was read
        self._entries: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self._bytes = 0
        database = engine.url.database
        self._watch = (
            _SqliteChangeWatch(database)
            if engine.dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )

    def _read_version(self) -> str:
        with self._sessions() as session:
            return repository.content_version(session) or ""

    def _known_current(self) -> bool:
        return (
            self._watch is not None
            and self._version is not None
            and self._watch.data_version() == self._data_version
        )

    def version(self) -> str:
        """The current content version, read from the database only when something was committed."""
        if self._known_current():
            assert self._version is not None
            return self._version
        # Read the marker before the row: a commit in between leaves the marker stale, so the next
        # call reads the row again instead of trusting a version older than the marker claims.
        marker = self._watch.data_version() if self._watch is not None else None
        version = self._read_version()
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._bytes = 0
                self._version = version
            self._data_version = marker
        return version

    def peek(self, key: Hashable) -> CachedResponse | None:
        """A cached response when it is known current without any I/O beyond a SQLite pragma, else None.

        Cheap enough to call on the event loop; on a miss the caller uses :meth:`get` in a thread.
        """
        if not self._known_current():
            return None
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def get(
        self,
        key: Hashable,
        build: Callable[[Session], Model],
        *,
        etag: Callable[[Model], str] | None = None,
    ) -> CachedResponse:
        """The cached response for ``key``, or ``build(session)`` serialized and remembered.

        ``etag`` picks the ETag from the model (a card's content hash); by default it is a hash of the
        content version and the key, which changes exactly when the content does.
        """
        version = self.version()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
        with self._sessions() as session:
            model = build(session)
        tag = etag(model) if etag else hashlib.sha256(f"{version}\0{key!r}".encode()).hexdigest()
        response = CachedResponse.of(tag, model.model_dump_json().encode())
        with self._lock:
            if self._version == version:
                replaced = self._entries.pop(key, None)
                self._bytes += response.size - (replaced.size if replaced is not None else 0)
                self._entries[key] = response
                while len(self._entries) > MAX_ENTRIES or self._bytes > MAX_BYTES:
                    self._bytes -= self._entries.popitem(last=False)[1].size
        return response

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
