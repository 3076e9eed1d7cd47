"""Pure ASGI middleware: the request body limit and the security headers every response carries.

Pure ASGI (not ``BaseHTTPMiddleware``) so that neither buffers a body nor adds a task per request.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def body_too_large(max_body_bytes: int) -> HTTPException:
    return HTTPException(413, f"Content Too Large: the request body may have at most {max_body_bytes} bytes")


class BodyLimitMiddleware:
    """Refuse a request body larger than ``max_body_bytes`` with 413, without reading it.

    A ``Content-Length`` over the limit is answered at once, before the application runs. A body of
    unknown length (chunked) is counted as the application reads it; the read that crosses the limit
    raises a 413 ``HTTPException``, which FastAPI lets through its body parsing to the error handler.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            error = body_too_large(self.max_body_bytes)
            body = json.dumps({"type": "HTTPError", "detail": error.detail}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise body_too_large(self.max_body_bytes)
            return message

        await self.app(scope, limited_receive, send)


class SecurityHeadersMiddleware:
    """``X-Content-Type-Options: nosniff`` on every response, and ``Cache-Control: no-store`` on JSON
    answered to a request that carried credentials (a shared cache must never keep a user's data).
    A response that sets its own ``Cache-Control`` keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = "authorization" in Headers(scope=scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if authenticated and headers.get("content-type", "").startswith("application/json"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
