"""Request field types that accept exactly what their JSON Schema promises.

Request models are strict (pydantic's lax mode would take ``false`` as the integer 0 and ``"3"`` as 3,
which the published schema forbids). JSON Schema's ``integer`` does include ``2.0``, though, so
:data:`JsonInt` takes integral floats and nothing else that is not an int. Optional fields are
documented as non-nullable: a PATCH may omit a field, but ``null`` is not a value.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _json_integer(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # everything else goes to the strict int validator (bools and strings fail there)


# Goes last in an ``Annotated[int, Field(...), INTEGRAL]``: constraints first, so the published schema
# shows them as minimum/maximum; the validator wraps the constrained int.
INTEGRAL = BeforeValidator(_json_integer)
JsonInt = Annotated[int, INTEGRAL]


def omit_null_from_schema(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for request models whose optional fields may be omitted but not null."""
    for prop in schema.get("properties", {}).values():
        variants = prop.get("anyOf")
        if variants is None:
            continue
        kept = [variant for variant in variants if variant.get("type") != "null"]
        del prop["anyOf"]
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
        if prop.get("default", ...) is None:
            del prop["default"]
