"""Reading one answer field typed on a line, by the field's shape and dtype from the API's question
payload (``generator.answer_fields``): a number; a vector as numbers separated by spaces or commas;
a matrix as rows separated by ``;``; any shape also as a JSON nested list.

A malformed entry is reported (where, and why) before anything is sent, as the web page does: the API
would refuse it with a 422 anyway, and a typo should not cost an attempt.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class AnswerField:
    name: str
    shape: tuple[int, ...]
    dtype: Literal["float", "int"]

    @classmethod
    def from_api(cls, payload: dict[str, Any]) -> AnswerField:
        return cls(
            name=str(payload["name"]), shape=tuple(int(n) for n in payload["shape"]), dtype=payload["dtype"]
        )

    def describe(self) -> str:
        """What to type, in words: "a number", "3 values", "a 2 × 2 matrix (rows separated by ;)"."""
        kind = " whole" if self.dtype == "int" else ""
        if not self.shape:
            return f"a{kind} number" if kind else "a number"
        if len(self.shape) == 1:
            return f"{self.shape[0]}{kind} values"
        if len(self.shape) == 2:
            return f"a {self.shape[0]} × {self.shape[1]}{kind} matrix (rows separated by ;)"
        return f"an array of shape {' × '.join(map(str, self.shape))} as a JSON list"


class EntryError(ValueError):
    """What is wrong with a typed answer, ready to show."""


def _number(text: str, dtype: str) -> float | int:
    cleaned = text.strip().replace("\u2212", "-")
    if not NUMBER.match(cleaned):
        raise EntryError(f'"{text.strip()}" is not a number')
    value = float(cleaned)
    if not math.isfinite(value):
        raise EntryError(f'"{text.strip()}" is too large')
    if dtype == "int":
        if not value.is_integer():
            raise EntryError(f'"{text.strip()}" is not a whole number')
        return int(value)
    return value


def _entries(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text.strip()) if part]


def _check_json(value: Any, shape: tuple[int, ...], dtype: str) -> Any:
    if not shape:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EntryError(f"expected a number, got {json.dumps(value)}")
        return _number(repr(value), dtype)
    if not isinstance(value, list) or len(value) != shape[0]:
        raise EntryError(f"expected a list of {shape[0]}")
    return [_check_json(item, shape[1:], dtype) for item in value]


def parse(text: str, field: AnswerField) -> Any:
    """The typed answer as the number or nested list the API expects; EntryError says what is wrong."""
    if not text.strip():
        raise EntryError("enter " + field.describe())
    if text.strip().startswith("["):
        try:
            return _check_json(json.loads(text), field.shape, field.dtype)
        except json.JSONDecodeError:
            raise EntryError("that is not a valid JSON list") from None
    if not field.shape:
        return _number(text, field.dtype)
    if len(field.shape) == 1:
        entries = _entries(text)
        if len(entries) != field.shape[0]:
            raise EntryError(f"expected {field.shape[0]} values, got {len(entries)}")
        return [_number(entry, field.dtype) for entry in entries]
    if len(field.shape) == 2:
        rows = [row for row in text.split(";") if row.strip()]
        if len(rows) != field.shape[0]:
            raise EntryError(f"expected {field.shape[0]} rows separated by ;, got {len(rows)}")
        matrix = []
        for number, row in enumerate(rows, start=1):
            entries = _entries(row)
            if len(entries) != field.shape[1]:
                raise EntryError(f"row {number}: expected {field.shape[1]} values, got {len(entries)}")
            matrix.append([_number(entry, field.dtype) for entry in entries])
        return matrix
    raise EntryError("enter " + field.describe())
