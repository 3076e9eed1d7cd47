"""HTTP clients for tests and benches on loopback: plain HTTP to servers on 127.0.0.1, one SSL context.

httpx builds an SSL context for every client it makes, and building one reads the whole CA bundle:
55 ms of CPU each here, 650 times in the browser, CLI and API-route tests alone when
every health poll, registration and ``httpx.get`` made its own. None of these clients speaks TLS, but
httpx builds the context up front, so they all share this one.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

SHARED_SSL_CONTEXT = ssl.create_default_context()


def client(base_url: str = "", **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` on the shared SSL context."""
    return httpx.Client(base_url=base_url, verify=SHARED_SSL_CONTEXT, **kwargs)


def async_client(base_url: str = "", **kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on the shared SSL context."""
    return httpx.AsyncClient(base_url=base_url, verify=SHARED_SSL_CONTEXT, **kwargs)


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request on a client of its own (``httpx.request`` without a fresh SSL context)."""
    timeout = kwargs.pop("timeout", 30)
    with client(timeout=timeout) as http:
        return http.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)
