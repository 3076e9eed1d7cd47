"""What grading returns (:class:`Grade`, one :class:`FieldResult` per answer field) and ``flat_floats``,
the one way the grader and the separation check read an answer value's entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from verifier._types import FloatArray, JsonValue


class FieldResult(NamedTuple):
    """How one field of a submission compared with the expected value.

    ``status`` is "right", "right_given_your_values" (right when computed from the candidate's own earlier
    fields: error carried forward) or "wrong"; ``credit`` is the share of its entries accepted.
    """

    correct: bool
    expected: JsonValue
    got: JsonValue
    error: float  # the largest absolute deviation from the reference over the field's entries
    status: str = "right"
    credit: float = 1.0


class Grade(NamedTuple):
    """The verdict on a well-formed submission.

    ``score`` weighs each field's share of accepted entries by its weight (its size unless declared);
    ``first_departure`` is the first answer field, in the order of the worked solution, that is wrong.
    """

    correct: bool
    score: float
    fields: Mapping[str, FieldResult]
    misconception: str | None
    feedback: str
    first_departure: str | None = None


def flat_floats(value: object) -> list[float]:
    """An answer value (float, int, array or nested list) as a flat list of Python floats, to read only."""
    kind = type(value)
    if kind is np.ndarray:  # the usual case first: one type check per value
        array: FloatArray = value  # type: ignore[assignment]
        if array.dtype != np.float64:
            array = array.astype(np.float64)
        flat: list[float] = (array if array.ndim == 1 else array.ravel()).tolist()
        return flat
    if kind is float:
        return [value]  # type: ignore[list-item]
    if isinstance(value, float | int):
        return [float(value)]
    if kind is list:  # a vector or matrix a step computed as plain lists of floats
        items: list[float] | list[list[float]] = value  # type: ignore[assignment]
        if items and type(items[0]) is list:
            return [item for row in items for item in row]
        return items  # type: ignore[return-value]  # not copied: callers only read it
    flat = np.asarray(value, dtype=np.float64).ravel().tolist()
    return flat
