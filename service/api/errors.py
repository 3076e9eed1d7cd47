"""One JSON error shape for every failure: ``{"type": <error class>, "detail": <message>}``.

Domain errors carry their status; FastAPI's validation errors become 422s whose detail names the
parameter or field; HTTP errors from routing (404, 405) use the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from service.db.database import UNAVAILABLE, Database
from service.errors import DlquizError, ServiceUnavailable

log = logging.getLogger(__name__)


class ErrorRead(BaseModel):
    """The body of every error response."""

    type: str
    detail: str


BAD_REQUEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorRead, "description": "The body could not be parsed (not JSON, or not UTF-8)"},
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "Not found"},
    422: {"model": ErrorRead, "description": "Invalid request; `detail` names the field"},
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorRead,
        "description": "Missing, invalid, expired or revoked bearer token",
        "headers": {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    },
}
UNAVAILABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorRead,
        "description": "The database does not answer or is busy; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    },
}
CONFLICT_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorRead, "description": "Conflicts with stored state (a reused Idempotency-Key)"},
}


def _location(loc: Sequence[int | str]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"query", "path", "header", "cookie"}:
        return f"{parts[0]} parameter '{'.'.join(parts[1:])}'"
    if parts and parts[0] == "body":
        return f"body field '{'.'.join(parts[1:])}'" if len(parts) > 1 else "request body"
    return "'" + ".".join(parts) + "'"


def validation_message(errors: Sequence[Any]) -> str:
    """Every validation problem in one sentence each: where, and what is wrong."""
    return "; ".join(f"{_location(error.get('loc', ()))}: {error.get('msg', 'invalid')}" for error in errors)


def _json_error(status: int, type_: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"type": type_, "detail": detail}, headers=headers)


async def _dlquiz_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DlquizError)
    # A ServiceUnavailable is logged once per outage where it was raised, not once per request.
    if exc.status_code >= 500 and not isinstance(exc, ServiceUnavailable):
        log.error("%s: %s", type(exc).__name__, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return _json_error(exc.status_code, type(exc).__name__, exc.message, headers or None)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Database work outside Database.run (the content cache's reads) fails the same way.
    database: Database = request.app.state.database
    return await _dlquiz_error(request, database.availability.failed(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _json_error(422, "ValidationError", validation_message(exc.errors()))


def _allowed_methods(request: Request) -> set[str]:
    # Starlette's 405 names the methods of the first route with a matching path only; a path served
    # by several routes (GET and PATCH /me/settings) must list them all. Included routers are not
    # routes themselves (FastAPI wraps them), so walk the effective routes they contribute.
    path: str = request.scope["path"]  # not get_route_path: a Mount has moved root_path by now
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        regex = getattr(context, "path_regex", None)
        if context.methods and regex is not None and regex.match(path):
            methods |= context.methods
        elif isinstance(mount := context.original_route, Mount) and isinstance(mount.app, StaticFiles):
            if path.startswith(mount.path + "/"):
                methods |= {"GET", "HEAD"}  # all that StaticFiles serves
    return methods


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return _json_error(exc.status_code, "HTTPError", str(exc.detail), headers or None)


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers that give every error the same JSON shape."""
    app.add_exception_handler(DlquizError, _dlquiz_error)
    for error in UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
