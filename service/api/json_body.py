"""JSON request bodies whose integers are too long for Python to parse become a 422, not a 400.

Python refuses to turn a string of more than ``sys.get_int_max_str_digits()`` digits (4,300) into an
int (quadratic-time conversion is a denial-of-service risk), so ``json.loads`` raises a plain
``ValueError`` that FastAPI answers as "There was an error parsing the body". A number that long is
still well-formed JSON, and an answer containing one is a malformed *answer*, which must be a 422 naming
its field and cost no attempt. So such an integer is read as a power of ten of the same length and
sign: cheap to build, never parsed from text, and refused downstream like any other number that is
too large (the verifier cannot turn it into a float; a bounded field's validator rejects it).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from fastapi import Request


def _parse_int(text: str) -> int:
    limit = sys.get_int_max_str_digits()
    digits = len(text) - (text[0] == "-")
    if limit and digits > limit:
        magnitude: int = 10 ** (digits - 1)
        return -magnitude if text[0] == "-" else magnitude
    return int(text)


def loads(body: bytes | str) -> Any:
    """``json.loads`` that never refuses an integer for its length (see the module docstring)."""
    return json.loads(body, parse_int=_parse_int)


class LenientJsonRequest(Request):
    """A request whose ``json()`` is :func:`loads`; :class:`service.api.checked_route.CheckedRoute` hands it on."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json
