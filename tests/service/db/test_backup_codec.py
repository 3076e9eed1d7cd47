"""Each column type a backup may meet survives SQLite -> JSON -> PostgreSQL and back unchanged,
including what a decoded value alone would lose: a JSON column's SQL NULL versus its JSON ``null``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    Time,
    null,
    select,
)

from service.db.backup.codec import codec_for
from service.db.session import make_engine
from service.db.types import UTCDateTime

metadata = MetaData()
sample = Table(
    "codec_sample",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=True),
    Column("naive", DateTime, nullable=True),
    Column("day", Date, nullable=True),
    Column("clock", Time, nullable=True),
    Column("doc", JSON, nullable=True),
    Column("blob", LargeBinary, nullable=True),
    Column("flag", Boolean, nullable=True),
    Column("amount", Numeric(12, 4), nullable=True),
    Column("ratio", Float, nullable=True),
    Column("label", Text, nullable=True),
)
FULL = {
    "id": 1,
    "at": datetime(2026, 3, 2, 23, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
    "naive": datetime(2026, 3, 2, 12, 0, 1, 5),
    "day": date(2026, 2, 28),
    "clock": time(4, 5, 6, 7),
    "doc": {"weights": [0.1, 1e-300, -2.5], "nested": {"none": None, "flag": False}},
    "blob": bytes(range(256)),
    "flag": True,
    "amount": Decimal("12345678.9012"),
    "ratio": 0.1 + 0.2,
    "label": 'héllo ☃ \\n "quoted"',
}
EMPTY: dict[str, Any] = {column.name: None for column in sample.columns} | {"id": 2}


@pytest.fixture
def engines(fresh_database: Callable[[str], str]) -> Iterator[dict[str, Engine]]:
    engines = {backend: make_engine(fresh_database(backend)) for backend in ("sqlite", "postgresql")}
    for engine in engines.values():
        metadata.create_all(engine)
    yield engines
    for engine in engines.values():
        engine.dispose()


def _through_json(source: Engine, target: Engine) -> None:
    codecs = [codec_for(column) for column in sample.columns]
    with source.connect() as connection:
        rows = connection.execute(select(*(codec.select for codec in codecs)).order_by(sample.c.id)).all()
    encoded = json.loads(
        json.dumps([[c.encode(v) for c, v in zip(codecs, row, strict=True)] for row in rows])
    )
    decoded = [{c.name: c.decode(v) for c, v in zip(codecs, row, strict=True)} for row in encoded]
    with target.begin() as connection:
        connection.execute(sample.insert(), decoded)


def _contents(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(select(sample).order_by(sample.c.id))]
        nulls = connection.execute(select(sample.c.id).where(sample.c.doc.is_(None)).order_by(sample.c.id))
        return [*rows, ("SQL NULL doc", *nulls.scalars())]


@pytest.mark.postgres
@pytest.mark.filterwarnings(
    "ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal objects natively"
)
def test_every_type_round_trips_between_backends(engines: dict[str, Engine]) -> None:
    with engines["sqlite"].begin() as connection:
        connection.execute(
            sample.insert(),
            [FULL, {**EMPTY, "doc": JSON.NULL}, {**EMPTY, "id": 3, "doc": null()}],
        )
    original = _contents(engines["sqlite"])
    assert original[0][1] == FULL["at"] and original[0][1].tzinfo == UTC
    assert original[-1] == ("SQL NULL doc", 3)  # row 2 holds JSON null, row 3 SQL NULL

    _through_json(engines["sqlite"], engines["postgresql"])
    assert _contents(engines["postgresql"]) == original
    with engines["sqlite"].begin() as connection:
        connection.execute(sample.delete())
    _through_json(engines["postgresql"], engines["sqlite"])
    assert _contents(engines["sqlite"]) == original


def test_a_column_type_without_a_codec_is_refused() -> None:
    column = Column("span", Interval)
    with pytest.raises(TypeError, match="no backup codec for column"):
        codec_for(column)
