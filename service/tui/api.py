"""The REST calls the terminal client makes, over httpx; nothing here knows about the terminal.

Transport failures are retried. httpx's own ``HTTPTransport(retries=...)`` retries only failed
connection attempts, which is safe for any request; a request that was sent and then lost its
connection (the server may have acted on it) is retried here, up to :data:`ATTEMPTS` times, with the
SAME ``Idempotency-Key`` for every write, so the server records it once and replays its first answer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

API = "/api/v1"
ATTEMPTS = 4
CONNECT_RETRIES = 2
BACKOFF_SECONDS = 0.2
TIMEOUT_SECONDS = 30.0

Json = dict[str, Any]


class ApiError(Exception):
    """The server answered with an error: its status and the API's ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text or response.reason_phrase


def new_key() -> str:
    """A fresh Idempotency-Key for one logical write (reused by every retry of it)."""
    return uuid.uuid4().hex


class StudyApi:
    """One server and (once logged in) one bearer token."""

    def __init__(
        self, server: str, token: str | None = None, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=server.rstrip("/") + API,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            transport=transport or httpx.HTTPTransport(retries=CONNECT_RETRIES),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StudyApi:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        key: str | None = None,
    ) -> Json:
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._http.request(
                    method, path, json=json, data=data, params=params, headers=headers
                )
                break
            except httpx.TransportError:
                # A GET is safe to repeat and every study write carries its key; a repeated login form
                # at worst issues a second token. A keyless JSON write is never repeated.
                if attempt == ATTEMPTS or (method != "GET" and key is None and data is None):
                    raise
                time.sleep(BACKOFF_SECONDS * attempt)
        if response.is_error:
            raise ApiError(response.status_code, _detail(response))
        result: Json = response.json() if response.content else {}
        return result

    def login(self, username: str, password: str) -> str:
        """A new bearer token for these credentials (OAuth2 password flow)."""
        body = self._send("POST", "/auth/token", data={"username": username, "password": password})
        return str(body["access_token"])

    def next_card(self, deck: str | None) -> Json:
        return self._send("GET", "/study/next", params={"deck": deck} if deck else None)

    def review(
        self, card_id: str, rating: int, *, deck: str | None, key: str, duration_ms: int | None = None
    ) -> Json:
        """Rate a card; the response carries the next card as ``next``."""
        body: Json = {"card_id": card_id, "rating": rating}
        if duration_ms is not None:
            body["duration_ms"] = duration_ms
        return self._send("POST", "/reviews", json=body, params=_next_params(deck), key=key)

    def answer(self, question_id: str, answer: Json, *, deck: str | None, key: str) -> Json:
        """Answer a numeric question; the graded attempt, with the next card as ``next``."""
        return self._send(
            "POST",
            f"/questions/{question_id}/answers",
            json={"answer": answer},
            params=_next_params(deck),
            key=key,
        )

    def undo(self, *, key: str) -> Json:
        return self._send("POST", "/reviews/undo", key=key)


def _next_params(deck: str | None) -> dict[str, str]:
    return {"next": "true", **({"deck": deck} if deck else {})}
