"""Reading an Anki package a person uploads (``.apkg`` or ``.colpkg``): in memory, bounded, read-only.

A package is a zip holding the collection, an SQLite database, under one of three names: Anki 2.1.50+
writes ``collection.anki21b`` (zstd-compressed) next to a stub ``collection.anki2`` that only says
"please update Anki"; "support older Anki versions" exports write ``collection.anki21``; very old ones
``collection.anki2``. The newest one present is the real collection.

The upload is untrusted: its size and the collection's unpacked size are capped (a zip or zstd bomb
stops at the cap, whatever the headers claim), the database is opened from memory and never written,
and SQLite runs with ``trusted_schema`` off (nothing in the file's schema runs functions) and
``cell_size_check`` on (a malformed page is reported as corruption). Anything
that is not a readable collection is an :class:`~service.errors.InvalidSubmission` saying so.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import zstandard

from service.errors import InvalidSubmission, PayloadTooLarge

COLLECTION_NAMES = ("collection.anki21b", "collection.anki21", "collection.anki2")
ZSTD_COLLECTION = "collection.anki21b"
_CHUNK = 1 << 20
# Byte offsets 18 and 19 of an SQLite header: 2 means WAL mode, which an in-memory database cannot use.
_WAL_HEADER_BYTES = slice(18, 20)

_REVLOG_QUERY = """
SELECT revlog.id, notes.guid, revlog.ease, revlog.time, revlog.type
FROM revlog JOIN cards ON cards.id = revlog.cid JOIN notes ON notes.id = cards.nid
ORDER BY revlog.id
"""


@dataclass(frozen=True, slots=True)
class RevlogRow:
    """One row of Anki's review log: ``ease`` 1-4 is the button (0: a manual reschedule), ``time_ms``
    the time spent on the answer, ``kind`` Anki's revlog type (0 learn, 1 review, 2 relearn, ...)."""

    revlog_id: int
    guid: str
    ease: int
    time_ms: int
    kind: int


@dataclass(frozen=True, slots=True)
class AnkiCollection:
    """What dlquiz reads from a collection: every note's GUID and the review log with each note's GUID."""

    note_guids: list[str]
    reviews: list[RevlogRow]


def _bad(reason: str) -> InvalidSubmission:
    return InvalidSubmission(f"not a readable Anki package: {reason}")


def _read_bounded(stream: IO[bytes], *, limit: int, what: str) -> bytes:
    """Read all of ``stream``, refusing (413) once more than ``limit`` bytes come out."""
    parts: list[bytes] = []
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"{what} is larger than the limit of {limit // (1 << 20)} MB")
        parts.append(chunk)
    return b"".join(parts)


def _collection_bytes(data: bytes, *, max_bytes: int) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _bad("the file is not a zip archive (export an .apkg or .colpkg from Anki)") from None
    with archive:
        names = set(archive.namelist())
        name = next((candidate for candidate in COLLECTION_NAMES if candidate in names), None)
        if name is None:
            raise _bad(
                "it holds no collection (no collection.anki21b, collection.anki21 or collection.anki2)"
            )
        opener: Callable[[IO[bytes]], IO[bytes]] = (
            (lambda raw: zstandard.ZstdDecompressor().stream_reader(raw))
            if name == ZSTD_COLLECTION
            else (lambda raw: raw)
        )
        try:
            with archive.open(name) as member, opener(member) as stream:
                return _read_bounded(stream, limit=max_bytes, what="the unpacked collection")
        except (zipfile.BadZipFile, zstandard.ZstdError, OSError, EOFError) as exc:
            raise _bad(f"{name} is damaged ({exc})") from None


def read_package(data: bytes, *, max_bytes: int) -> AnkiCollection:
    """Every note GUID and review-log row of the collection inside an Anki package.

    Raises:
        PayloadTooLarge: the package, or the collection inside it, exceeds ``max_bytes``.
        InvalidSubmission: not a zip, no collection inside, or the collection is not a readable
            Anki database.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the package is larger than the limit of {max_bytes // (1 << 20)} MB")
    raw = bytearray(_collection_bytes(data, max_bytes=max_bytes))
    if raw[:16] != b"SQLite format 3\x00":
        raise _bad("the collection is not an SQLite database")
    raw[_WAL_HEADER_BYTES] = b"\x01\x01"
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(bytes(raw))
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA cell_size_check = ON")  # a corrupt page is an error, not a wild read
        connection.execute("PRAGMA query_only = ON")
        note_guids = [str(guid) for (guid,) in connection.execute("SELECT guid FROM notes")]
        reviews = [
            RevlogRow(int(revlog_id), str(guid), int(ease), int(time_ms), int(kind))
            for revlog_id, guid, ease, time_ms, kind in connection.execute(_REVLOG_QUERY)
        ]
    except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
        raise _bad(f"the collection cannot be read ({exc})") from None
    finally:
        connection.close()
    return AnkiCollection(note_guids=note_guids, reviews=reviews)
