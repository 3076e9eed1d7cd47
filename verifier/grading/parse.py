"""Format validation of a submission, shared by every grader: the bad-input contract.

Anything that is not a finite number of the right shape (a string, a bool, null, a nested object, a
ragged list, NaN, ±inf, an int too large for a float, a fraction in an integer field) raises
:class:`AnswerFormatError` whose message names the field and stays short: a submitted value is described,
never echoed (a 5,000-digit int cannot even be turned into text). Nothing else escapes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import numpy as np

from verifier._types import JsonValue
from verifier.grading.spec import FieldSpec

MAX_NAME = 40  # characters of a submitted field name quoted back
MAX_LISTED = 5  # unknown field names quoted back


class AnswerFormatError(ValueError):
    """Raised when a submission is not a well-formed answer; the message names the field and the problem."""


def _short(name: object) -> str:
    text = name if isinstance(name, str) else type(name).__name__
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "a single number" if shape == () else f"a list of shape {shape}"


def _kind(value: object) -> str:
    """What a submitted value is, in a few words and without quoting it."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "a boolean"
    if isinstance(value, str | bytes):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return f"a list of length {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _number(name: str, value: object, *, integer: bool) -> float:
    """One entry as a finite float, or AnswerFormatError."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise AnswerFormatError(f"field '{name}': expected numbers only, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise AnswerFormatError(f"field '{name}': a number too large to grade") from None
    if not math.isfinite(number):
        raise AnswerFormatError(f"field '{name}': contains NaN or infinity")
    if integer and not number.is_integer():
        raise AnswerFormatError(f"field '{name}': expected a whole number, got a fraction")
    return number


def _collect(
    name: str, value: object, shape: tuple[int, ...], flat: list[float], *, integer: bool
) -> JsonValue:
    """Append ``value``'s entries to ``flat`` and return it as JSON; AnswerFormatError if ill-formed."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise AnswerFormatError(f"field '{name}': expected numbers only, got {_kind(value)}")
        if value.shape != shape:
            raise AnswerFormatError(f"field '{name}': expected {_shape_text(shape)}, got shape {value.shape}")
        value = value.tolist()
    if not shape:
        if isinstance(value, list | tuple):
            raise AnswerFormatError(
                f"field '{name}': expected a single number, got {_kind(value)} (wrong shape)"
            )
        number = _number(name, value, integer=integer)
        flat.append(number)
        return int(number) if integer else number
    if not isinstance(value, list | tuple) or len(value) != shape[0]:
        raise AnswerFormatError(
            f"field '{name}': expected {_shape_text(shape)}, got {_kind(value)} (wrong shape)"
        )
    return [_collect(name, item, shape[1:], flat, integer=integer) for item in value]


def _plain_floats(value: object, shape: tuple[int, ...]) -> tuple[list[float], JsonValue] | None:
    """What :func:`_collect` makes of a well-formed float field sent as (nested) lists of finite Python
    floats, the usual submission, checked in a few whole-list operations; None for anything else, which
    :func:`_collect` then reads entry by entry."""
    if not shape:
        if type(value) is float and math.isfinite(value):
            return [value], value
        return None
    if type(value) is not list or len(value) != shape[0]:
        return None
    if len(shape) == 1:
        rows = [value]
    elif len(shape) == 2 and all(type(row) is list and len(row) == shape[1] for row in value):
        rows = value
    else:
        return None
    flat = [entry for row in rows for entry in row]
    # A finite sum means no entry is NaN or infinite (an overflowing sum only sends the field the slow way).
    if not all(type(entry) is float for entry in flat) or not math.isfinite(sum(flat)):
        return None
    return flat, list(value) if len(shape) == 1 else [list(row) for row in value]


def parse_field(name: str, value: object, spec: FieldSpec) -> tuple[list[float], JsonValue]:
    """One submitted field as (its entries as floats, row-major; its JSON value), or AnswerFormatError."""
    if spec.dtype == "float":
        plain = _plain_floats(value, spec.shape)
        if plain is not None:
            return plain
    flat: list[float] = []
    return flat, _collect(name, value, spec.shape, flat, integer=spec.dtype == "int")


def check_fields(fields: Mapping[str, FieldSpec], submission: object) -> Mapping[object, object]:
    """The submission as a mapping with exactly the generator's fields, or AnswerFormatError."""
    if not isinstance(submission, Mapping):
        raise AnswerFormatError("the submission must map each answer field to a number or a nested list")
    missing = [name for name in fields if name not in submission]
    if missing:
        raise AnswerFormatError(f"missing answer field(s): {', '.join(missing)}")
    if len(submission) != len(fields):
        unknown = [_short(name) for name in submission if name not in fields]
        listed = ", ".join(unknown[:MAX_LISTED]) + (", …" if len(unknown) > MAX_LISTED else "")
        raise AnswerFormatError(f"unknown answer field(s): {listed} (expected: {', '.join(fields)})")
    return submission


def parse_submission(
    fields: Mapping[str, FieldSpec], submission: object
) -> dict[str, tuple[list[float], JsonValue]]:
    """Validate a whole submission: exactly the generator's fields, each well-formed."""
    checked = check_fields(fields, submission)
    return {name: parse_field(name, checked[name], spec) for name, spec in fields.items()}


def as_value(flat: list[float], spec: FieldSpec) -> object:
    """A parsed field as a step function reads it: a float, an int, or an array of the field's shape."""
    shape = spec.shape
    if not shape:
        return int(flat[0]) if spec.dtype == "int" else flat[0]
    array = np.array(flat, dtype=np.float64)
    if len(shape) == 1 and len(flat) == shape[0]:
        return cast(object, array)  # already of the vector's shape (a reshape costs as much as the array)
    return cast(object, array.reshape(shape))
