"""The route class of every API router: checks that run before FastAPI reads and parses the body.

1. **Authentication first.** FastAPI reads and parses a request body before it resolves any dependency,
   so a route's bearer-token dependency would only run after an anonymous client's body had been parsed.
   A route that depends on the bearer scheme refuses a request without a ``Bearer`` token here, before
   the body is read (the token itself is still checked by the dependency, against the database).
2. **Text the database can store.** PostgreSQL ``text`` and ``jsonb`` refuse NUL characters, and no
   driver can encode an unpaired UTF-16 surrogate (JSON's ``"\\ud800"``), so such a string reaching a
   query was a 500. Every string input (path and query parameters, JSON strings and keys, form fields)
   is checked here once, for every route, and refused with the usual 422 naming the field. The body is
   parsed for this only when its bytes contain an escape that could decode to such a character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param

from service.api.deps import bearer_scheme
from service.api.json_body import LenientJsonRequest, loads
from service.auth.service import MISSING_TOKEN
from service.errors import Unauthorized

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# JSON escapes that decode to NUL or a surrogate; a raw NUL byte is invalid JSON and left to FastAPI.
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired surrogates"


def _uses_bearer(dependant: Dependant) -> bool:
    return any(dep.call is bearer_scheme or _uses_bearer(dep) for dep in dependant.dependencies)


def _escaped(text: str) -> str:
    """``text`` with unstorable characters written as JSON escapes, fit to quote in an error message."""
    return UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _bad_strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """The location of every string in a decoded JSON value (keys included) that cannot be stored."""
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            yield loc
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            if UNSTORABLE.search(key):
                yield (*loc, _escaped(key))
            yield from _bad_strings(item, (*loc, _escaped(key)))


async def _unstorable_inputs(request: Request) -> list[tuple[str | int, ...]]:
    locations: list[tuple[str | int, ...]] = [
        ("path", name)
        for name, value in request.path_params.items()
        if isinstance(value, str) and UNSTORABLE.search(value)
    ]
    locations += [
        ("query", _escaped(name))
        for name, value in request.query_params.multi_items()
        if UNSTORABLE.search(value)
    ]
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return locations
    content_type = request.headers.get("content-type", "")
    body = await request.body()  # cached on the request: FastAPI reads the same bytes afterwards
    if "json" in content_type and _SUSPECT_JSON.search(body):
        try:
            decoded = loads(body)
        except ValueError:
            return locations  # FastAPI reports the malformed JSON itself
        locations += _bad_strings(decoded, ("body",))
    elif content_type.startswith("application/x-www-form-urlencoded") and (b"%00" in body or b"\x00" in body):
        form = await request.form()  # cached too
        locations += [
            ("body", _escaped(name))
            for name, value in form.multi_items()
            if isinstance(value, str) and UNSTORABLE.search(value)
        ]
    return locations


class CheckedRoute(APIRoute):
    """An APIRoute that refuses anonymous callers of authenticated routes and unstorable text up front."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needs_token = _uses_bearer(self.dependant)

        async def checked_handler(incoming: Request) -> Response:
            # Integers too long for Python to parse become a 422 downstream, not a 400 (json_body.py).
            request = LenientJsonRequest(incoming.scope, incoming.receive)
            if needs_token:
                scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
                if scheme.lower() != "bearer" or not token:
                    raise Unauthorized(MISSING_TOKEN)
            locations = await _unstorable_inputs(request)
            if locations:
                raise RequestValidationError(
                    [
                        {"type": "string_unstorable", "loc": loc, "msg": UNSTORABLE_MESSAGE, "input": None}
                        for loc in locations
                    ]
                )
            return await handler(request)

        return checked_handler
