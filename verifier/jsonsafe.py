"""Conversion of generator values to plain JSON types.

Questions are stored and sent as JSON, so inputs, answers and worked steps pass through here (as
PrairieLearn's ``pl.to_json`` does); ``float`` keeps full precision so a stored question regrades
exactly as it was generated.
"""

from typing import cast

import numpy as np

from verifier._types import JsonValue


def to_jsonable(value: object) -> JsonValue:
    """Return ``value`` with NumPy arrays and scalars turned into lists, floats and ints."""
    kind = type(value)
    if kind is float or kind is int or kind is str:  # the common cases first: one type check each
        return cast(JsonValue, value)
    if isinstance(value, np.ndarray):
        return cast(JsonValue, value.tolist())
    if isinstance(value, np.generic):
        return cast(JsonValue, value.item())
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")
