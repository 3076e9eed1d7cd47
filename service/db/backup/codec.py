"""Column values to and from the JSON scalars a backup stores, chosen by the column's type.

A backup restores into SQLite or PostgreSQL, so no value may depend on how one driver hands it out:
datetimes are ISO 8601 with their offset (tz-aware columns come back aware), bytes are base64, decimals
are strings, and JSON columns are kept as their JSON *text*. The text keeps apart what a decoded value
cannot: SQL NULL (``None`` in the dump) and a stored JSON ``null`` (the text ``"null"``). Every other
type the schema uses (integers, floats, strings, booleans) is a JSON scalar already; Python's ``json``
writes floats with ``repr``, so they round-trip exactly. A column of any other type makes the backup
fail at its start (an ``Interval`` too, though it is stored as a datetime on SQLite), so a new type
gets a codec before it can lose data.
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
from sqlalchemy.types import TypeDecorator, TypeEngine

JsonScalar = str | int | float | bool | None

# Python types that are JSON scalars as they come: stored and bound unchanged (bool before int
# would not matter: both are written as they are).
_PLAIN_TYPES: tuple[type, ...] = (bool, int, float, str)


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


def _is_json(column: Column[Any]) -> bool:
    column_type: TypeEngine[Any] = column.type
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, JSON)


def _python_type(column: Column[Any]) -> type:
    """What the column's values are in Python; a TypeDecorator that does not say (``object``, as
    :class:`UTCDateTime`) hands out what its implementation type does."""
    column_type: TypeEngine[Any] = column.type
    try:
        python_type: type = column_type.python_type
        while python_type is object and isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance
            python_type = column_type.python_type
    except NotImplementedError:
        raise TypeError(f"no backup codec for column {column} of type {column.type!r}") from None
    return python_type


def codec_for(column: Column[Any]) -> ColumnCodec:
    """The codec for ``column``, chosen by the Python type its values have (a TypeDecorator such as
    :class:`UTCDateTime` counts as what it hands out); raises ``TypeError`` for any other type."""
    name = column.name
    if _is_json(column):
        # The text as stored (a cast, so PostgreSQL's json and SQLite's TEXT both read as text).
        return ColumnCodec(name, cast(column, Text).label(name), _same, _decode_json)
    python_type = _python_type(column)
    # datetime before date: a datetime is a date too.
    if issubclass(python_type, datetime):
        return ColumnCodec(name, column, _optional(datetime.isoformat), _optional(datetime.fromisoformat))
    if issubclass(python_type, date):
        return ColumnCodec(name, column, _optional(date.isoformat), _optional(date.fromisoformat))
    if issubclass(python_type, time):
        return ColumnCodec(name, column, _optional(time.isoformat), _optional(time.fromisoformat))
    if issubclass(python_type, bytes):
        return ColumnCodec(
            name,
            column,
            _optional(lambda raw: base64.b64encode(bytes(raw)).decode("ascii")),
            _optional(base64.b64decode),
        )
    if issubclass(python_type, Decimal):
        return ColumnCodec(name, column, _optional(str), _optional(Decimal))
    if python_type in _PLAIN_TYPES:
        return ColumnCodec(name, column, _same, _same)
    raise TypeError(f"no backup codec for column {column} of type {column.type!r}")
