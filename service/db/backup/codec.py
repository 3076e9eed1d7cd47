"""Column values to and from the JSON scalars a backup stores, chosen by the column's SQL type.

A backup restores into SQLite or PostgreSQL, so no value may depend on how one driver hands it out:
datetimes are ISO 8601 with their offset (tz-aware columns come back aware), bytes are base64, decimals
are strings, and JSON columns are kept as their JSON *text*. The text keeps apart what a decoded value
cannot: SQL NULL (``None`` in the dump) and a stored JSON ``null`` (the text ``"null"``). Every other
type the schema uses (integers, floats, strings, booleans) is a JSON scalar already; Python's ``json``
writes floats with ``repr``, so they round-trip exactly. A column of any other type makes the backup
fail at its start, so a new type gets a codec before it can lose data.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Text, cast, null
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Time,
    TypeDecorator,
    TypeEngine,
)

JsonScalar = str | int | float | bool | None

# Types whose values are JSON scalars as they come: stored and bound unchanged.
_PLAIN_TYPES: tuple[type[TypeEngine[Any]], ...] = (Boolean, Float, Integer, String, Enum)


@dataclass(frozen=True, slots=True)
class ColumnCodec:
    """How one column is selected for a backup, and how its value is written and read back."""

    name: str
    select: ColumnElement[Any]
    encode: Callable[[Any], JsonScalar]
    decode: Callable[[JsonScalar], Any]


def _same(value: Any) -> JsonScalar:
    result: JsonScalar = value
    return result


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _decode_json(text: JsonScalar) -> Any:
    if text is None:
        return null()  # SQL NULL; a bare None would be bound as the JSON text 'null'
    if not isinstance(text, str):
        raise ValueError(f"a JSON column's value must be its JSON text, not {type(text).__name__}")
    value = json.loads(text)
    return JSON.NULL if value is None else value


def _base_type(column: Column[Any]) -> TypeEngine[Any]:
    column_type: TypeEngine[Any] = column.type
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type


def codec_for(column: Column[Any]) -> ColumnCodec:
    """The codec for ``column``; raises ``TypeError`` for a type no codec covers."""
    base = _base_type(column)
    name = column.name
    if isinstance(base, JSON):
        # The text as stored (a cast, so PostgreSQL's json and SQLite's TEXT both read as text).
        return ColumnCodec(name, cast(column, Text).label(name), _same, _decode_json)
    if isinstance(base, DateTime):
        return ColumnCodec(name, column, _optional(datetime.isoformat), _optional(datetime.fromisoformat))
    if isinstance(base, Date):
        return ColumnCodec(name, column, _optional(date.isoformat), _optional(date.fromisoformat))
    if isinstance(base, Time):
        return ColumnCodec(name, column, _optional(time.isoformat), _optional(time.fromisoformat))
    if isinstance(base, LargeBinary):
        return ColumnCodec(
            name,
            column,
            _optional(lambda raw: base64.b64encode(bytes(raw)).decode("ascii")),
            _optional(base64.b64decode),
        )
    if isinstance(base, Numeric) and not isinstance(base, Float):
        return ColumnCodec(name, column, _optional(str), _optional(Decimal))
    if isinstance(base, _PLAIN_TYPES):
        return ColumnCodec(name, column, _same, _same)
    raise TypeError(f"no backup codec for column {column} of type {column.type!r}")
