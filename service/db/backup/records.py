"""The stream a backup is: a header, then each table's column names and rows, then the row counts.

The same records flow from a database snapshot into a file (``dlquiz db backup``), from a file into a
database (``restore``) or straight from one database into another (``copy``), so all three share one
reader and one writer. On disk the stream is gzip'd JSON lines: objects for the header, each table's
start and the end, a JSON array for each row. The end record carries every table's row count, so a
truncated file is refused instead of half restored.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from service.db.backup.codec import JsonScalar
from service.errors import BackupError

FORMAT = "dlquiz-backup"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Header:
    """Where and when the snapshot was taken and at which Alembic revision (the schema it fits)."""

    revision: str
    source: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TableStart:
    """The rows that follow belong to ``table``, with values in the order of ``columns``."""

    table: str
    columns: list[str]


@dataclass(frozen=True, slots=True)
class End:
    """The row count of every table, as read in the snapshot."""

    counts: dict[str, int]


Row = list[JsonScalar]
Record = Header | TableStart | Row | End


def _line(record: Record) -> str:
    body: Any
    match record:
        case Header(revision=revision, source=source, created_at=created_at):
            body = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "revision": revision,
                "source": source,
                "created_at": created_at.isoformat(),
            }
        case TableStart(table=table, columns=columns):
            body = {"table": table, "columns": columns}
        case End(counts=counts):
            body = {"end": counts}
        case list():
            body = record
    return json.dumps(body, separators=(",", ":")) + "\n"


def private_file(path: Path) -> BinaryIO:
    """A new empty file only its owner may read: a backup holds password and token hashes."""
    path.unlink(missing_ok=True)
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def write_file(path: Path, records: Iterable[Record]) -> None:
    """Write ``records`` to ``path`` through a temporary file, so ``path`` is never a partial backup."""
    partial = path.with_name(path.name + ".partial")
    try:
        with (
            private_file(partial) as raw,
            gzip.GzipFile(fileobj=raw, mode="wb") as compressed,
            io.TextIOWrapper(compressed, encoding="utf-8") as out,
        ):
            for record in records:
                out.write(_line(record))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _record(body: Any, number: int) -> Record:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and "table" in body:
        return TableStart(table=str(body["table"]), columns=[str(name) for name in body["columns"]])
    if isinstance(body, dict) and "end" in body:
        return End(counts={str(name): int(count) for name, count in body["end"].items()})
    raise BackupError(f"line {number} of the backup is not a dlquiz backup record")


def read_file(path: Path) -> Generator[Record]:
    """The records of a backup file; a damaged or foreign file raises :class:`BackupError`."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                body = json.loads(line)
                if number == 1:
                    if not isinstance(body, dict) or body.get("format") != FORMAT:
                        raise BackupError(f"{path} is not a dlquiz backup")
                    if body.get("version") != FORMAT_VERSION:
                        raise BackupError(
                            f"{path} is backup format version {body.get('version')}; "
                            f"this dlquiz reads version {FORMAT_VERSION}"
                        )
                    yield Header(
                        revision=str(body["revision"]),
                        source=str(body["source"]),
                        created_at=datetime.fromisoformat(body["created_at"]),
                    )
                else:
                    yield _record(body, number)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, KeyError) as exc:
        raise BackupError(f"{path} is not a readable dlquiz backup: {exc}") from exc
