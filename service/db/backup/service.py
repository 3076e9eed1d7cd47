"""Backup, restore and copy: every table of ``Base.metadata``, read in one snapshot, written in one
transaction.

The table list is the ORM metadata in foreign-key order, so a table added to the models is in the next
backup without a change here, and restoring in that order satisfies every foreign key as it goes.
Everything is included, account data too: password and token hashes (a copy of the database lets
nobody log in, see ``models/user.py``), so moving to PostgreSQL logs nobody out. Treat the file as
you would the database.

Consistency while the service runs: the tables are read inside one transaction, REPEATABLE READ READ
ONLY on PostgreSQL (one snapshot for every SELECT, as pg_dump does) and one read transaction on SQLite
(in WAL mode the snapshot of the first read holds until the end while writers go on committing).
A restore refuses a database that holds any row, and one at another schema revision than the backup;
on PostgreSQL it then moves every id sequence past the restored ids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, func, select, text
from sqlalchemy.exc import DBAPIError

import service.db.models  # noqa: F401 - registers every table on Base.metadata
from service.db import migrate
from service.db.backup.codec import ColumnCodec, codec_for
from service.db.backup.records import (
    End,
    Header,
    Record,
    Row,
    TableStart,
    private_file,
    read_file,
    write_file,
)
from service.db.base import Base
from service.db.types import utcnow
from service.errors import BackupError

BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Summary:
    """What a backup, restore or copy moved: rows per table, at which schema revision."""

    revision: str
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def tables() -> list[Table]:
    """Every table of the schema, parents before children (Alembic's own table is not in it)."""
    return list(Base.metadata.sorted_tables)


def _codecs(table: Table) -> list[ColumnCodec]:
    return [codec_for(column) for column in table.columns]


def _require_head(connection: Connection, what: str) -> str:
    revision = migrate.current_revision(connection)
    head = migrate.head_revision()
    if revision != head:
        raise BackupError(
            f"{what} is at schema revision {revision or 'none'}, this dlquiz at {head}: "
            "run `dlquiz db upgrade` on it first"
        )
    return head


def snapshot(engine: Engine) -> Generator[Record]:
    """The records of every table, all read in one transaction; the connection is released when the
    iterator is exhausted or closed."""
    codecs = {table.name: _codecs(table) for table in tables()}  # an unknown type fails before reading
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            revision = _require_head(connection, "the database")
            yield Header(revision=revision, source=connection.dialect.name, created_at=utcnow())
            counts: dict[str, int] = {}
            for table in tables():
                table_codecs = codecs[table.name]
                yield TableStart(table=table.name, columns=[codec.name for codec in table_codecs])
                query = select(*(codec.select for codec in table_codecs)).order_by(*table.primary_key.columns)
                count = 0
                for row in connection.execute(query.execution_options(yield_per=BATCH_ROWS)):
                    yield [codec.encode(value) for codec, value in zip(table_codecs, row, strict=True)]
                    count += 1
                counts[table.name] = count
            yield End(counts=counts)


def _non_empty(connection: Connection) -> list[str]:
    found = []
    for table in tables():
        count = connection.scalar(select(func.count()).select_from(table))
        if count:
            found.append(f"{table.name} ({count} rows)")
    return found


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL: each serial id's next value is past the largest restored id."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT MAX({quote(column.name)}) FROM {quote(table.name)}), 0) + 1, false)"
            ),
            {"table": quote(table.name), "column": column.name},
        )


class _Loader:
    """Inserts one table's rows in batches, decoding each value with its column's codec."""

    def __init__(self, connection: Connection, start: TableStart) -> None:
        table = Base.metadata.tables.get(start.table)
        if table is None:
            raise BackupError(f"the backup has a table '{start.table}' that this schema does not")
        if start.columns != [column.name for column in table.columns]:
            raise BackupError(f"the backup's columns of '{start.table}' differ from this schema's")
        self.connection = connection
        self.table = table
        self.codecs = _codecs(table)
        self.batch: list[dict[str, object]] = []
        self.count = 0

    def add(self, row: Row) -> None:
        if len(row) != len(self.codecs):
            raise BackupError(f"a row of '{self.table.name}' has {len(row)} values, not {len(self.codecs)}")
        try:
            decoded = {codec.name: codec.decode(value) for codec, value in zip(self.codecs, row, strict=True)}
        except (ValueError, TypeError) as exc:
            raise BackupError(
                f"a row of '{self.table.name}' has a value that is not its column's: {exc}"
            ) from exc
        self.batch.append(decoded)
        self.count += 1
        if len(self.batch) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        try:
            self.connection.execute(self.table.insert(), self.batch)
        except DBAPIError as exc:
            # e.g. a foreign key a damaged file breaks, or a NUL character PostgreSQL's text refuses
            raise BackupError(f"rows of '{self.table.name}' could not be restored: {exc.orig}") from exc
        self.batch = []


def _load(connection: Connection, header: Header, records: Iterator[Record]) -> Summary:
    _require_head(connection, "the target database")
    occupied = _non_empty(connection)
    if occupied:
        raise BackupError(
            f"restore needs an empty database; this one has rows in {', '.join(occupied)}: "
            "restore into a new database"
        )
    counts: dict[str, int] = {}
    loader: _Loader | None = None
    for record in records:
        if isinstance(record, list):
            if loader is None:
                raise BackupError("the backup has a row before its first table")
            loader.add(record)
            continue
        if loader is not None:
            loader.flush()
            counts[loader.table.name] = loader.count
            loader = None
        match record:
            case TableStart():
                loader = _Loader(connection, record)
            case End(counts=expected):
                if expected != counts:
                    raise BackupError(f"the backup's rows {counts} differ from its own count {expected}")
                if connection.dialect.name == "postgresql":
                    _reset_sequences(connection)
                return Summary(revision=header.revision, counts=counts)
            case Header():
                raise BackupError("the backup has a second header")
    raise BackupError("the backup ends early (no end record): it is incomplete")


def load(engine: Engine, records: Iterator[Record]) -> Summary:
    """Restore ``records`` into ``engine``'s database, migrated to head first; all or nothing.

    Raises :class:`BackupError` when the database has any row, the revisions differ or the records are
    incomplete; then no row is written (the migration to head may have run).
    """
    header = next(records, None)
    if not isinstance(header, Header):
        raise BackupError("the backup has no header")
    head = migrate.head_revision()
    if header.revision != head:
        raise BackupError(
            f"the backup is at schema revision {header.revision}, this dlquiz at {head}: "
            "restore it with the dlquiz version that made it"
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.execution_options(sqlite_immediate=True)  # SQLite: the write lock from the start
        with connection.begin():
            return _load(connection, header, records)


def backup(engine: Engine, path: Path) -> Summary:
    """Write a consistent snapshot of every table to ``path`` (replaced only once complete)."""
    summary: list[Summary] = []
    with closing(snapshot(engine)) as records:
        write_file(path, _observe(records, summary))
    return summary[0]


def restore(engine: Engine, path: Path) -> Summary:
    """Load the backup at ``path`` into ``engine``'s empty database (see :func:`load`)."""
    with closing(read_file(path)) as records:
        return load(engine, records)


def copy(source: Engine, target: Engine) -> Summary:
    """A snapshot of ``source`` loaded into the empty ``target``: backup and restore without a file."""
    with closing(snapshot(source)) as records:
        return load(target, records)


def _observe(records: Iterator[Record], summary: list[Summary]) -> Iterator[Record]:
    revision = ""
    for record in records:
        if isinstance(record, Header):
            revision = record.revision
        elif isinstance(record, End):
            summary.append(Summary(revision=revision, counts=record.counts))
        yield record


def sqlite_file_backup(engine: Engine, path: Path) -> None:
    """A SQLite database copied page by page with SQLite's online backup API, for same-backend backups;
    writers keep going while it runs and the copy is one consistent state."""
    if engine.dialect.name != "sqlite":
        raise BackupError("a SQLite file backup needs a SQLite database; use the portable backup")
    partial = path.with_name(path.name + ".partial")
    private_file(partial).close()
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with closing(sqlite3.connect(partial)) as target:
            source.backup(target)
        partial.replace(path)
    finally:
        raw.close()
        partial.unlink(missing_ok=True)
